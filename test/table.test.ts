import { describe, expect, it } from "vitest";
import { table } from "../lib/src/display/table";

describe("table", () => {
  it("renders rows of named values as a markdown table, numbers right-aligned", () => {
    const md = table([{ optimizer: "SGD", steps: 6, error: "1.0e-7" }, { optimizer: "Adam", steps: 12, error: "3.1e-8" }]);
    expect(md).toBe("| optimizer | steps | error |\n|---|---:|---|\n| SGD | 6 | 1.0e-7 |\n| Adam | 12 | 3.1e-8 |");
  });
  it("takes the columns' order and alignment, escapes pipes and line breaks", () => {
    const md = table([{ a: "x|y", b: "two\nlines" }], { columns: ["b", "a"], align: { a: "center" } });
    expect(md.split("\n")).toEqual(["| b | a |", "|---|:---:|", "| two lines | x\\|y |"]);
  });
  it("says which value a row lacks", () => {
    expect(() => table([{ a: 1, b: 2 }, { a: 3 } as never])).toThrow(/row 1 has no "b"/);
    expect(() => table([])).toThrow(/no columns/);
    expect(table([], { columns: ["a"] })).toBe("| a |\n|---|");
  });
});
