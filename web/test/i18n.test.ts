import { describe, expect, it } from "vitest";
import { detectLang, MESSAGES, t } from "../src/i18n";

describe("the three languages", () => {
  it("have every message English has, none empty", () => {
    const keys = Object.keys(MESSAGES.en).sort();
    for (const lang of ["es", "pt"] as const) {
      expect(Object.keys(MESSAGES[lang]).sort()).toEqual(keys);
      for (const key of keys) expect(MESSAGES[lang][key as keyof typeof MESSAGES.en].length).toBeGreaterThan(0);
    }
  });
  it("keep the same placeholders in every language", () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(MESSAGES.en) as (keyof typeof MESSAGES.en)[]) {
      expect(names(MESSAGES.es[key]), key).toEqual(names(MESSAGES.en[key]));
      expect(names(MESSAGES.pt[key]), key).toEqual(names(MESSAGES.en[key]));
    }
  });
  it("follow the browser's first language they speak", () => {
    expect(detectLang(["pt-BR", "en"])).toBe("pt");
    expect(detectLang(["fr", "es-EC"])).toBe("es");
    expect(detectLang(["de"])).toBe("en");
  });
  it("fill values in, numbers in the language's way", () => {
    expect(t("progress.rows", { done: 1500, total: 2000 }, "es")).toBe("1500 de 2000 filas".replace("1500", (1500).toLocaleString("es")).replace("2000", (2000).toLocaleString("es")));
    expect(t("progress.rows", { done: 1500, total: 2000 }, "en")).toBe("1,500 of 2,000 rows");
  });
});
