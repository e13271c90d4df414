import { describe, expect, it } from "vitest";
import { attentionMap, wordMap } from "../lib/src/display/language";

describe("language figures", () => {
  it("wordMap labels each point with its word, one trace per group", () => {
    const fig = wordMap([0, 1, 2], [1, 0, 1], ["a", "b", "c"], [0, 1, 0], { groupNames: ["g0", "g1"], name: "m" });
    expect(fig.name).toBe("m");
    expect(fig.data.map((t) => t.name)).toEqual(["g0", "g1"]);
    expect(fig.data[0]!["text"]).toEqual(["a", "c"]);
    expect(fig.data[0]!["x"]).toEqual([0, 2]);
    expect(() => wordMap([0], [0, 1], ["a"], [0])).toThrow(/one of each/);
  });
  it("attentionMap keeps repeated symbols apart and escapes markup in the ticks", () => {
    const fig = attentionMap([[0.5, 0.5, 0], [0, 0, 1]], ["sette", "cento", "sette"], ["7", "</s>"]);
    const x = fig.layout["xaxis"] as Record<string, unknown>;
    const y = fig.layout["yaxis"] as Record<string, unknown>;
    expect(x["tickvals"]).toEqual([0, 1, 2]);
    expect(x["ticktext"]).toEqual(["sette", "cento", "sette"]);
    expect(y["ticktext"]).toEqual(["7", "&lt;/s&gt;"]);
    expect(fig.data[0]!["zmax"]).toBe(1);
    expect(() => attentionMap([[1]], ["a", "b"], ["x"])).toThrow(/row 0/);
  });
});
