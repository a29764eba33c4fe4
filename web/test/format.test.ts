import { describe, expect, it } from "vitest";
import { bytesWords, clock, fileProblem, MAX_FILE_BYTES, parseTags, secondsLeft, secondsUntil, shares } from "../src/format";

describe("a file is checked before anything is sent", () => {
  it("accepts delimited text and spreadsheets in any case, up to 20 MB", () => {
    for (const name of ["clientes.csv", "A.TSV", "lista.Txt", "libro.xlsx", "VIEJO.XLS", "hoja.ods"]) expect(fileProblem({ name, size: 10 })).toBeNull();
    expect(fileProblem({ name: "big.csv", size: MAX_FILE_BYTES })).toBeNull();
  });
  it("refuses other types, empty files and files over 20 MB, naming the file", () => {
    expect(fileProblem({ name: "libro.numbers", size: 10 })).toEqual({ key: "upload.bad_type", params: { name: "libro.numbers" } });
    expect(fileProblem({ name: "vacío.csv", size: 0 })?.key).toBe("upload.empty");
    expect(fileProblem({ name: "big.csv", size: MAX_FILE_BYTES + 1 })).toEqual({
      key: "upload.too_large",
      params: { name: "big.csv", size: "20.0 MB" },
    });
  });
});

describe("times", () => {
  it("counts down as m:ss, never below zero", () => {
    expect(clock(3599)).toBe("59:59");
    expect(clock(3600)).toBe("1:00:00");
    expect(clock(-5)).toBe("0:00");
    expect(secondsUntil("2026-12-04T10:00:30Z", Date.parse("2026-12-04T10:00:00Z"))).toBe(30);
    expect(secondsUntil(null, 0)).toBe(0);
  });
  it("estimates the time left at the pace seen so far", () => {
    expect(secondsLeft(0, 100, 5)).toBeNull();
    expect(secondsLeft(50, 100, 10)).toBe(10);
    expect(secondsLeft(100, 100, 10)).toBe(0);
  });
});

describe("words and shares", () => {
  it("reads tags separated by commas, each once", () => {
    expect(parseTags(" vip, feria-2026,,vip ")).toEqual(["vip", "feria-2026"]);
  });
  it("gives sizes in words", () => {
    expect(bytesWords(12)).toBe("12 bytes");
    expect(bytesWords(2048)).toBe("2 KB");
  });
  it("shares a review's counts in percent", () => {
    expect(shares([1, 3])).toEqual([25, 75]);
    expect(shares([0, 0])).toEqual([0, 0]);
  });
});
