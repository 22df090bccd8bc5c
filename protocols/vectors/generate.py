#!/usr/bin/env python3
"""Writes the golden frames of protocols/vectors/ independently of the Swift encoder.

Canonical encoding: keys in the order of protocols/README.md, no whitespace, non-ASCII as raw UTF-8,
control characters escaped as in Python's json module (\\n \\r \\t \\b \\f, else \\u00xx).
Data kinds known to the decoder when these vectors are checked: ticket.event, ticket.dispatch.
Run: python3 protocols/vectors/generate.py
"""
import json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def write(name, description, raw, message, error, canonical=None):
    doc = {"name": name, "description": description, "hex": raw.hex(), "message": message, "error": error}
    if canonical is not None:
        doc["canonical"] = canonical
    with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
        f.write("\n")


def valid(name, description, message):
    write(name, description, frame(compact(message)), message, None, canonical=True)


def invalid(name, description, raw, code):
    write(name, description, raw, None, code)


valid("hello-minimal", "hello with only the required fields",
      {"v": 1, "type": "hello", "id": "c1-1", "node": "county-ls", "versions": [1], "lastReceived": 0})
valid("hello-full", "hello with clock and role, resuming after seq 41",
      {"v": 1, "type": "hello", "id": "c1-1", "node": "city", "versions": [1, 2], "lastReceived": 41,
       "clock": 1795478400000, "role": "city"})
valid("hello-restored", "hello of a node whose database was restored from a backup (section 4, after a restore)",
      {"v": 1, "type": "hello", "id": "u1-1", "node": "unit-water", "versions": [1], "lastReceived": 12,
       "role": "unit", "restored": True})
valid("hello-profile", "hello naming the policy profile the sender decides by (id and rules fingerprint)",
      {"v": 1, "type": "hello", "id": "k1-1", "node": "county-lx", "versions": [1], "lastReceived": 7,
       "clock": 1795478400000, "role": "county", "profile": "jinan-2018@f97b16ccd6fd"})
valid("ack", "cumulative ack of every seq up to 128",
      {"v": 1, "type": "ack", "id": "c1-7", "upTo": 128})
valid("heartbeat-minimal", "heartbeat without clock", {"v": 1, "type": "heartbeat", "id": "c1-8"})
valid("heartbeat-clock", "heartbeat carrying the sender's clock",
      {"v": 1, "type": "heartbeat", "id": "c1-9", "clock": 1795478405000})
valid("error-fatal", "fatal error: the sender closes the connection after it",
      {"v": 1, "type": "error", "id": "c1-10", "code": "seq-from-future",
       "message": "expected data seq 5 but got 7", "fatal": True})
valid("error-nonfatal", "informative error without the fatal flag",
      {"v": 1, "type": "error", "id": "c1-11", "code": "internal", "message": "disk is 90% full"})
valid("data-ticket-event", "data message with a Chinese body, nested values and at",
      {"v": 1, "type": "data", "id": "7f3c2a10-5b7e-4c1e-9a55-0c1d2e3f4a5b", "seq": 1, "origin": "unit-water",
       "dest": "city", "kind": "ticket.event", "at": 1795478400123,
       "body": {"ticket": "T2026112200017", "event": "signed", "note": "已签收，正在核实",
                "tags": ["供水", 3, True, None], "geo": {"lat": 41.7, "lng": 125.9}}})
valid("data-escapes", "data message whose strings need escaping: quote, backslash, newline, tab, control",
      {"v": 1, "type": "data", "id": "m-\"2\"", "seq": 9007199254740991, "origin": "city", "dest": "unit\\a",
       "kind": "ticket.dispatch", "body": {"text": "line1\nline2\t\u0001end \u2028 /"}})

nonc = compact({"v": 1, "type": "ack", "id": "c2-1", "upTo": 3, "future": {"x": 1}})
write("ack-unknown-field", "unknown optional fields are ignored by the decoder",
      frame(nonc), {"v": 1, "type": "ack", "id": "c2-1", "upTo": 3}, None, canonical=False)
spaced = b'{ "v" : 1 , "type" : "data" , "id" : "s1" , "seq" : 2 , "origin" : "a" , "dest" : "b" , ' \
         b'"kind" : "ticket.event" , "body" : { "k" : [ 1 , 2 ] } }'
write("data-whitespace", "whitespace between tokens is legal; the body keeps its exact bytes",
      frame(spaced), {"v": 1, "type": "data", "id": "s1", "seq": 2, "origin": "a", "dest": "b",
                      "kind": "ticket.event", "body": {"k": [1, 2]}}, None, canonical=False)

invalid("bad-zero-length", "a header announcing 0 bytes", bytes.fromhex("00000000"), "zero-length")
invalid("bad-oversize-header", "a header announcing 4 MiB + 1 bytes; refused from the header alone",
        bytes.fromhex("00400001"), "frame-too-large")
invalid("bad-invalid-utf8", "payload with a byte 0xFF inside a string",
        frame(b'{"v":1,"type":"heartbeat","id":"\xff"}'), "invalid-utf8")
invalid("bad-invalid-json", "payload cut in the middle of the object",
        frame(b'{"v":1,"type":'), "invalid-json")
invalid("bad-trailing-comma", "a trailing comma, which RFC 8259 forbids",
        frame(b'{"v":1,"type":"hello","id":"x","node":"n","versions":[1,],"lastReceived":0}'), "invalid-json")
invalid("bad-data-after-object", "a second value after the object",
        frame(b'{"v":1,"type":"heartbeat","id":"x"} {}'), "invalid-json")
invalid("bad-not-an-object", "a JSON array instead of an object", frame(b'[1,2,3]'), "invalid-json")
invalid("bad-unknown-type", "a type this protocol does not define",
        frame(compact({"v": 1, "type": "gossip", "id": "x1"})), "unknown-type")
invalid("bad-unknown-kind", "a data kind not in the receiver's registry (non-fatal on a link: delivered, refused and acknowledged, section 6)",
        frame(compact({"v": 1, "type": "data", "id": "x2", "seq": 1, "origin": "a", "dest": "b",
                       "kind": "weather.report", "body": {}})), "unknown-kind")
invalid("bad-missing-upto", "an ack without upTo",
        frame(compact({"v": 1, "type": "ack", "id": "x3"})), "missing-field")
invalid("bad-missing-id", "a heartbeat without id",
        frame(compact({"v": 1, "type": "heartbeat"})), "missing-field")
invalid("bad-body-not-object", "a data body that is a string",
        frame(compact({"v": 1, "type": "data", "id": "x4", "seq": 1, "origin": "a", "dest": "b",
                       "kind": "ticket.event", "body": "hello"})), "missing-field")
invalid("bad-seq-fraction", "a seq written with a fraction",
        frame(b'{"v":1,"type":"ack","id":"x5","upTo":1.5}'), "missing-field")
invalid("bad-seq-negative", "a negative ack",
        frame(compact({"v": 1, "type": "ack", "id": "x6", "upTo": -1})), "missing-field")
invalid("bad-seq-bool", "a boolean where an integer is required",
        frame(b'{"v":1,"type":"ack","id":"x7","upTo":true}'), "missing-field")
invalid("bad-version", "an ack in protocol version 2, which this release does not speak",
        frame(compact({"v": 2, "type": "ack", "id": "x8", "upTo": 1})), "version-unsupported")
