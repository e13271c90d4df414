/**
 * The whole barrel compiles and loads (two flat modules exporting one name would break the build with
 * TS2308), and generic names stay inside their namespaces (docs/architecture.md, the barrel and names).
 */
import { describe, expect, it } from "vitest";
import * as reti from "../lib/src/index";
import { backprop, type Activation, type SourceExcerpt } from "../lib/src/index";

describe("the reti barrel", () => {
  it("exports the notebooks' names flat and the generic ones only inside namespaces", () => {
    for (const name of ["show", "showSource", "table", "activation", "softmax", "trainPerceptron", "geometricMargin", "conv2d", "MLP", "Dense",
      "gradientCheck", "worstRelativeError", "pointwise", "movingAverage", "maxAbsDiff", "relativeChange", "mnistImage", "concatHistories",
      "lineChart", "imageGrid", "subplots", "lossSurface", "fit", "seed", "tf"]) {
      expect(reti, name).toHaveProperty(name);
    }
    for (const generic of ["forward", "parameters", "evaluate", "lossOf", "step", "linear", "margin", "sigmoid", "relu", "tanh", "elu", "leakyRelu",
      "initMLP", "tokenize", "figure", "list", "rows", "axis", "baseLayout", "panelGrid"]) {
      expect(Object.keys(reti), generic).not.toContain(generic);
    }
    expect(Object.keys(backprop).sort()).toEqual(
      ["activationBackward", "denseBackward", "denseForward", "evaluate", "flattenGrads", "forward", "gatherRows", "lossAndGradients", "lossOf", "outputError", "parameters", "trainMLP"],
    );
  });

  it("gives working values through the namespaces and the one activation shape", () => {
    const net = new reti.MLP([reti.Dense.fromRows([[1, -2], [-1, 1]], [1, 0], "sigmoid")]);
    const out = backprop.forward(net, [1, -1]).at(-1)!.a;
    expect(Array.from(out, (v) => +v.toFixed(2))).toEqual([0.98, 0.12]);
    const sigmoid: Activation = reti.activation("sigmoid");
    expect(sigmoid.df(0)).toBe(0.25);
    const excerpt: SourceExcerpt = reti.sourceOf(backprop.denseBackward);
    expect(excerpt.file).toBe("scratch/backprop.ts");
  });
});
