import { describe, expect, it } from "vitest";
import {
  ENGLISH_ANALOGY_PAIRS, Vocabulary, analogyQuestions, charVocabulary, charWindows, decodeChars, encodeChars,
  italianNumber, italianNumberPieces, italianStopwords, loadMobyDick, loadSotu, padIds, tokenize,
} from "../lib/src/data/text";

describe("tokenize", () => {
  it("splits words, lower-cases, drops HTML tags", () => {
    expect(tokenize("I LOVE this dried fruit.<br /><br />Kids love it, too!")).toEqual(["i", "love", "this", "dried", "fruit", "kids", "love", "it", "too"]);
  });
  it("keeps apostrophes of elisions and accents when asked", () => {
    expect(tokenize("L'agopuntura e' una cosa ottima, perche'?", { apostrophes: true })).toEqual(["l'", "agopuntura", "e'", "una", "cosa", "ottima", "perche'"]);
    expect(tokenize("L'agopuntura e' una", {})).toEqual(["l", "agopuntura", "e", "una"]);
  });
});

describe("Vocabulary", () => {
  const v = Vocabulary.fromTokens("b a c a b a d".split(" "), { specials: ["<pad>"], minCount: 2 });
  it("orders by frequency, ties alphabetically, specials first", () => {
    expect(v.tokens).toEqual(["<pad>", "a", "b"]);
    expect(Array.from(v.counts)).toEqual([0, 3, 2]);
    expect(v.size).toBe(3);
  });
  it("encodes, drops or maps unknown tokens, decodes, one-hot", () => {
    expect(Array.from(v.encode(["a", "c", "b"]))).toEqual([1, 2]);
    expect(Array.from(v.encode(["a", "c", "b"], 0))).toEqual([1, 0, 2]);
    expect(v.decode([2, 1])).toEqual(["b", "a"]);
    expect(Array.from(v.oneHot("b"))).toEqual([0, 0, 1]);
    expect(v.id("zzz")).toBe(-1);
    expect(() => v.token(3)).toThrow(/outside/);
  });
  it("caps the size", () => {
    expect(Vocabulary.fromTokens("a a a b b c".split(" "), { maxSize: 2 }).tokens).toEqual(["a", "b"]);
  });
});

describe("characters", () => {
  it("a character vocabulary maps rare characters to the unknown symbol and round-trips", () => {
    const v = charVocabulary("aaabbc", { specials: ["·"], minCount: 2 });
    expect(v.tokens).toEqual(["·", "¤", "a", "b"]);
    expect(decodeChars(v, encodeChars(v, "abcab"))).toBe("ab¤ab");
  });
  it("windows of 20 characters predict the 21st", () => {
    const ids = Int32Array.from({ length: 30 }, (_, i) => i);
    const { x, y, n } = charWindows(ids, 20, 3);
    expect(n).toBe(4);
    expect(Array.from(x.subarray(20, 40))).toEqual(Array.from({ length: 20 }, (_, j) => 3 + j));
    expect(Array.from(y)).toEqual([20, 23, 26, 29]);
  });
  it("pads and truncates", () => {
    expect(Array.from(padIds([[1, 2, 3], [4]], 2))).toEqual([1, 2, 4, 0]);
    expect(Array.from(padIds([[1, 2, 3]], 2, { truncate: "pre", pad: 9 }))).toEqual([2, 3]);
  });
});

describe("Italian numbers", () => {
  it("writes numbers as Italian does", () => {
    const cases: [number, string][] = [
      [0, "zero"], [3, "tre"], [17, "diciassette"], [21, "ventuno"], [23, "ventitré"], [28, "ventotto"], [80, "ottanta"],
      [101, "centouno"], [108, "centotto"], [180, "centottanta"], [333, "trecentotrentatré"], [1000, "mille"], [1003, "milletré"],
      [1998, "millenovecentonovantotto"], [2026, "duemilaventisei"], [7777, "settemilasettecentosettantasette"], [100000, "centomila"],
    ];
    for (const [n, w] of cases) expect(italianNumber(n)).toBe(w);
  });
  it("gives the morphemes, whose join is the word", () => {
    expect(italianNumberPieces(2026)).toEqual(["due", "mila", "venti", "sei"]);
    expect(italianNumberPieces(1888)).toEqual(["mille", "otto", "cent", "ottant", "otto"]);
    const seen = new Set<string>();
    for (let n = 0; n < 10000; n++) seen.add(italianNumber(n));
    expect(seen.size).toBe(10000); // one word per number: the map is invertible
    expect(() => italianNumber(-1)).toThrow(RangeError);
  });
});

describe("corpora", () => {
  it("State of the Union addresses, by year", () => {
    const s = loadSotu({ from: 1790, to: 1791 });
    expect(s.map((a) => a.year)).toEqual([1790, 1791]);
    expect(s[0]!.name).toMatch(/Washington/);
    expect(s[0]!.text).toMatch(/^Fellow-Citizens of the Senate/);
  });
  it("Moby-Dick", () => {
    const m = loadMobyDick();
    expect(m.length).toBe(139);
    expect(m.some((c) => /Call me Ishmael/.test(c.text))).toBe(true);
  });
  it("Italian stop words", () => {
    const s = italianStopwords();
    expect(s.has("della") && s.has("il") && s.has("che")).toBe(true);
    expect(s.has("amore")).toBe(false);
  });
});

describe("analogy questions", () => {
  it("pairs every two pairs of a relation, skipping shared words and words not in the vocabulary", () => {
    const qs = analogyQuestions({ r: [["a", "b"], ["c", "d"], ["e", "f"], ["a", "g"]] }, (w) => w !== "f");
    // known pairs: (a,b), (c,d), (a,g): ordered pairs of distinct pairs with four distinct words
    expect(qs.map((q) => `${q.a}${q.b}${q.c}${q.d}`).sort()).toEqual(["abcd", "agcd", "cdab", "cdag"]);
    expect(Object.keys(ENGLISH_ANALOGY_PAIRS)).toContain("gender");
  });
});
