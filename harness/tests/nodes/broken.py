#!/usr/bin/env python3
"""Deliberately broken Maelstrom nodes: the harness's checkers must flag each one.

The first argument picks the fault:
  wrong-echo      answers every echo with a different value
  dup-ids         unique-ids that hands out each id twice
  lossy-broadcast floods each new value to its neighbours once, with no retry, so values
                  sent across a partition are lost for good
Every mode stays alive after stdin closes, as a Maelstrom node must.
"""
import json
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "wrong-echo"
node_id = None
neighbours = []
seen = []
seen_set = set()
counter = [0]


def send(dest, body):
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def reply(msg, body):
    body["in_reply_to"] = msg["body"].get("msg_id")
    send(msg["src"], body)


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body.get("type")
    if t == "init":
        node_id = body["node_id"]
        reply(msg, {"type": "init_ok"})
    elif t == "echo":
        reply(msg, {"type": "echo_ok", "echo": "not what you said"})
    elif t == "generate":
        counter[0] += 1
        reply(msg, {"type": "generate_ok", "id": counter[0] // 2})
    elif t == "topology":
        neighbours = body["topology"].get(node_id, [])
        reply(msg, {"type": "topology_ok"})
    elif t in ("broadcast", "gossip"):
        value = body["message"]
        if value not in seen_set:
            seen_set.add(value)
            seen.append(value)
            for n in neighbours:
                if n != msg["src"]:
                    send(n, {"type": "gossip", "message": value})
        if t == "broadcast":
            reply(msg, {"type": "broadcast_ok"})
    elif t == "read":
        reply(msg, {"type": "read_ok", "messages": list(seen)})

while True:
    time.sleep(3600)
