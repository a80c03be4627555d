"""Writes json_cases.txt: JSON inputs with the verdict of Python's json module (the independent
reference for //formats/json:json_test).

Each line: <input as hex> TAB <canonical rendering, or ERR>. The canonical rendering is
  null | true | false | N<'%.17g' of the number> | <json.dumps(string, ensure_ascii=True)>
  | [a,b] | {key:value,...} (members in file order, duplicates kept).
Python's json is laxer than RFC 8259 in two ways the project's parser is not: it accepts NaN /
Infinity literals and lone UTF-16 surrogates in \\u escapes. Both are turned into ERR here.
Usage: /usr/bin/python3 json_cases.py OUT_DIR
"""
import json
import os
import random
import sys


class Reject(Exception):
    pass


def reject_constant(name):
    raise Reject(name)


def render_string(s):
    for ch in s:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise Reject("lone surrogate")
    return json.dumps(s, ensure_ascii=True)


def render(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return "N" + ("%.17g" % float(v))
    if isinstance(v, str):
        return render_string(v)
    if isinstance(v, Pairs):
        return "{" + ",".join(render_string(k) + ":" + render(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(render(x) for x in v) + "]"
    raise TypeError(type(v))


class Pairs(list):
    pass


def verdict(data):
    try:
        v = json.loads(data.decode("utf-8"), object_pairs_hook=Pairs, parse_constant=reject_constant)
        return render(v)
    except (ValueError, Reject, UnicodeDecodeError, RecursionError):
        return "ERR"


CASES = [
    b'{}', b'[]', b'null', b'true', b'false', b'0', b'-0', b'1', b'-1', b'12345678901234567890',
    b'1.5', b'-0.25', b'1e10', b'1E-3', b'2.5e+3', b'0.1', b'  {"a" : 1 }  ', b'\t\n\r[1]\n',
    b'"plain"', b'"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t"', b'"\\u0041\\u00e9\\u4e2d"',
    b'"\\ud83d\\ude00"', b'"\\ud83d"', b'"\\ude00"', b'"\\ud83d\\u0041"', '"h\u00e9llo \u4e2d \U0001F600"'.encode(),
    b'{"a":1,"a":2}', b'{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}',
    b'[1,2,3,[4,[5,{"x":[]}]]]', b'{"a":[true,false,null]}',
    # invalid
    b'', b' ', b'{', b'}', b'[', b'[1,]', b'{"a":1,}', b'{"a" 1}', b'{a:1}', b"{'a':1}", b'[1 2]',
    b'01', b'-', b'1.', b'.5', b'1e', b'1e+', b'+1', b'0x10', b'NaN', b'Infinity', b'-Infinity',
    b'[NaN]', b'tru', b'nul', b'falsey', b'"abc', b'"a\x01b"', b'"a\nb"', b'"\\x41"', b'"\\u12"',
    b'"\\u12G4"', b'{} {}', b'[] x', b'"\xff"', b'"\xc0\x80"', b'"\xed\xa0\x80"', b'"\xe4\xb8"',
    b'"\xf4\x90\x80\x80"', b'{"a":1}\x00', b'[' * 50 + b']' * 50, b'{"a":{"b":{"c":[1,{"d":null}]}}}',
    b'/* c */ {}', b'[1,,2]', b'{,}', b'{"a":}', b'[-]', b'-01', b'1.0e5', b'-1.5E-7', b'1e400',
]


def random_value(rng, depth):
    k = rng.randrange(7 if depth < 4 else 4)
    if k == 0:
        return rng.choice([None, True, False])
    if k == 1:
        return rng.randrange(-10**12, 10**12)
    if k == 2:
        return rng.uniform(-1e6, 1e6)
    if k == 3:
        return "".join(rng.choice("ab\"\\\n\u00e9\u4e2d\U0001F600/ ") for _ in range(rng.randrange(6)))
    if k == 4:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {("k%d" % rng.randrange(5)): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def main():
    out_dir = sys.argv[1]
    rng = random.Random(7)
    cases = list(CASES)
    for _ in range(200):
        text = json.dumps(random_value(rng, 0), ensure_ascii=rng.random() < 0.5,
                          indent=rng.choice([None, 1])).encode()
        cases.append(text)
        # A mutated copy: one byte deleted or replaced, usually making it invalid.
        if text:
            i = rng.randrange(len(text))
            if rng.random() < 0.5:
                cases.append(text[:i] + text[i + 1:])
            else:
                cases.append(text[:i] + bytes([rng.choice(b'{}[],:"\\x0 \x00\xff')]) + text[i + 1:])
    with open(os.path.join(out_dir, "json_cases.txt"), "w") as f:
        for c in cases:
            f.write(c.hex() + "\t" + verdict(c) + "\n")


if __name__ == "__main__":
    main()
