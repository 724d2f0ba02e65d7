import { describe, expect, it } from "vitest";
import { canonicalBytes, canonicalJson } from "../../src/crypto/canonical.ts";

// Builds a double from its IEEE 754 bit pattern, the form RFC 8785 Appendix B uses.
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalJson", () => {
  it("reproduces the RFC 8785 section 3.2.2 example", () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected =
      '{"literals":[null,true,false],' +
      '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      String.raw`"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it("sorts keys by UTF-16 code units, not code points (RFC 8785 section 3.2.3)", () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    // U+1F600 is encoded as D83D DE00, which sorts before U+FB33 although its code point is higher.
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
      '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it("sorts nested objects and keeps array order", () => {
    const value = { b: [3, 1, { z: 1, a: 2 }], a: { d: null, c: "x" }, aa: [], ab: {} };
    expect(canonicalJson(value)).toBe(
      '{"a":{"c":"x","d":null},"aa":[],"ab":{},"b":[3,1,{"a":2,"z":1}]}',
    );
  });

  it("orders keys that differ only in length or case by code unit", () => {
    const value = { ab: 1, a: 2, B: 3, b: 4, "": 5, "10": 6, "9": 7 };
    expect(canonicalJson(value)).toBe('{"":5,"10":6,"9":7,"B":3,"a":2,"ab":1,"b":4}');
  });

  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ])("serialises the double with bits %s as %s", (bits, expected) => {
    expect(canonicalJson(fromBits(bits))).toBe(expected);
  });

  it.each([
    [1e21, "1e+21"],
    [1e20, "100000000000000000000"],
    [1e-7, "1e-7"],
    [1e-6, "0.000001"],
    [-0, "0"],
    // Parsed from text, as a JSON reader would, because the literal cannot be written exactly.
    [Number("333333333.33333329"), "333333333.3333333"],
    [4.5, "4.5"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-1.5e-300, "-1.5e-300"],
  ])("serialises %s as %s", (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
    expect(canonicalJson([value])).toBe(`[${expected}]`);
  });

  it("escapes strings exactly as JSON.stringify does", () => {
    const controls = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join("");
    expect(canonicalJson(controls)).toBe(
      String.raw`"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f` +
        String.raw`\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c` +
        String.raw`\u001d\u001e\u001f"`,
    );
    expect(canonicalJson('quote " backslash \\ slash /')).toBe(
      String.raw`"quote \" backslash \\ slash /"`,
    );
    // Only the mandatory escapes: DEL, non-ASCII and line separators stay literal.
    expect(canonicalJson("\u007f é € 😀 \u2028")).toBe('"\u007f é € 😀 \u2028"');
  });

  it("escapes keys like values", () => {
    expect(canonicalJson({ 'a"\n': 1 })).toBe(String.raw`{"a\"\n":1}`);
  });

  it("accepts objects without a prototype", () => {
    const value = Object.assign(Object.create(null) as object, { b: 1, a: true });
    expect(canonicalJson(value)).toBe('{"a":true,"b":1}');
  });

  it("serialises the top-level literals", () => {
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(true)).toBe("true");
    expect(canonicalJson(false)).toBe("false");
    expect(canonicalJson("")).toBe('""');
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["undefined", undefined],
    ["a nested NaN", { a: [1, Number.NaN] }],
    ["an undefined property", { a: undefined }],
    ["an undefined array element", [1, undefined]],
    ["a sparse array", Object.assign(new Array<number>(3), { 0: 1, 2: 3 })],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a symbol", Symbol("s")],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a typed array", new Uint8Array(1)],
    ["a lone high surrogate", "\ud800x"],
    ["a lone low surrogate", "x\udc00"],
    ["a lone surrogate in a key", { "\udfff": 1 }],
  ])("throws a TypeError for %s", (_, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it("throws a TypeError for circular structures but allows shared ones", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    const cycle: Record<string, unknown> = {};
    cycle.self = { cycle };
    expect(() => canonicalJson(cycle)).toThrow(TypeError);
  });

  it("says where the offending value is", () => {
    expect(() => canonicalJson({ license: { seats: [1, Number.NaN] } })).toThrow(
      "$.license.seats[1]",
    );
  });
});

describe("canonicalBytes", () => {
  it("is the UTF-8 encoding of the canonical text", () => {
    const bytes = canonicalBytes({ "€": "😀", a: 1 });
    expect(Array.from(bytes)).toEqual([
      0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x2c, 0x22, 0xe2, 0x82, 0xac, 0x22, 0x3a, 0x22, 0xf0,
      0x9f, 0x98, 0x80, 0x22, 0x7d,
    ]);
  });
});
