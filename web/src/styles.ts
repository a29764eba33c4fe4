// The look every element shares: plain, readable, high contrast (the
// accessibility checks hold every page to WCAG AA), and themable by the
// page that embeds the wizard through CSS custom properties.

import { css } from "lit";

export const base = css`
  :host {
    --ci-accent: #0b5cad;
    --ci-accent-text: #ffffff;
    --ci-text: #1c1f23;
    --ci-muted: #4a525c;
    --ci-line: #c9ced6;
    --ci-soft: #f3f5f8;
    --ci-error: #a4161a;
    --ci-ok: #1b6b35;
    --ci-warn: #7a4b00;
    display: block;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    font-size: 15px;
    line-height: 1.45;
    color: var(--ci-text);
  }
  h2 {
    font-size: 1.3rem;
    margin: 0 0 0.75rem;
  }
  h3 {
    font-size: 1.05rem;
    margin: 1.25rem 0 0.5rem;
  }
  p {
    margin: 0.3rem 0;
  }
  .hint {
    color: var(--ci-muted);
    font-size: 0.9rem;
  }
  button,
  .button {
    font: inherit;
    border-radius: 6px;
    border: 1px solid var(--ci-accent);
    background: var(--ci-accent);
    color: var(--ci-accent-text);
    padding: 0.45rem 0.9rem;
    cursor: pointer;
    text-decoration: none;
    display: inline-block;
  }
  button.secondary,
  .button.secondary {
    background: #fff;
    color: var(--ci-accent);
  }
  button.link {
    background: none;
    border: none;
    color: var(--ci-accent);
    padding: 0.1rem 0.3rem;
    text-decoration: underline;
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  button:focus-visible,
  a:focus-visible,
  input:focus-visible,
  select:focus-visible,
  label.drop:focus-within {
    outline: 3px solid #f0a500;
    outline-offset: 2px;
  }
  input,
  select {
    font: inherit;
    padding: 0.35rem 0.5rem;
    border: 1px solid #6b7480;
    border-radius: 5px;
    background: #fff;
    color: var(--ci-text);
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    border-bottom: 1px solid var(--ci-line);
    padding: 0.4rem 0.5rem;
    vertical-align: top;
  }
  th {
    background: var(--ci-soft);
    font-weight: 600;
  }
  .error {
    color: var(--ci-error);
  }
  .ok {
    color: var(--ci-ok);
  }
  .panel {
    border: 1px solid var(--ci-line);
    border-radius: 8px;
    padding: 1rem 1.25rem;
    background: #fff;
  }
  .row {
    display: flex;
    gap: 0.6rem;
    align-items: center;
    flex-wrap: wrap;
  }
  .field {
    margin: 0 0 1rem;
  }
  .field > label,
  fieldset > legend {
    font-weight: 600;
    display: block;
    margin-bottom: 0.2rem;
  }
  fieldset {
    border: none;
    margin: 0 0 1rem;
    padding: 0;
  }
  .alert {
    border-left: 4px solid var(--ci-error);
    background: #fdf0f0;
    padding: 0.6rem 0.9rem;
    margin: 0.75rem 0;
  }
  .notice {
    border-left: 4px solid var(--ci-accent);
    background: #eef5fc;
    padding: 0.6rem 0.9rem;
    margin: 0.75rem 0;
  }
  progress {
    width: 100%;
    height: 1.1rem;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
