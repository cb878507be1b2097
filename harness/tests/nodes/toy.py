#!/usr/bin/env python3
"""Toy Maelstrom nodes for the harness's end-to-end tests.

The first argument picks the behaviour (the harness forwards stray CLI words to the node):
echo, unique-ids, broadcast (flooding), g-set (local only), counter (naive read+cas on
seq-kv), exit (exits on the first client op), debug (prints a non-JSON line on stdout),
malformed (echo replies with an extra body key), not-init (answers init with another type).
Every node writes its argv to stderr and stays alive after stdin closes.
"""
import json
import os
import queue
import sys
import threading
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "echo"
print("argv:", json.dumps(sys.argv[1:]), file=sys.stderr, flush=True)
if os.environ.get("GLOMERS_TELEMETRY"):
    print("telemetry:", os.environ["GLOMERS_TELEMETRY"], os.environ.get("GLOMERS_TELEMETRY_DIR"),
          file=sys.stderr, flush=True)
node_id = None
neighbours = []
seen = set()
counter = [0]
next_id = [0]
pending = {}
lock = threading.Lock()


def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def reply(msg, body):
    body["in_reply_to"] = msg["body"]["msg_id"]
    send(msg["src"], body)


def rpc(dest, body):
    with lock:
        next_id[0] += 1
        mid = next_id[0]
    q = queue.Queue()
    pending[mid] = q
    body["msg_id"] = mid
    send(dest, body)
    return q.get(timeout=5)


def counter_op(msg):
    body = msg["body"]
    if body["type"] == "add":
        while True:
            r = rpc("seq-kv", {"type": "read", "key": "c"})
            cur = r.get("value", 0) if r["type"] == "read_ok" else 0
            r = rpc("seq-kv", {"type": "cas", "key": "c", "from": cur,
                               "to": cur + body["delta"], "create_if_not_exists": True})
            if r["type"] == "cas_ok":
                break
        reply(msg, {"type": "add_ok"})
    else:
        r = rpc("seq-kv", {"type": "read", "key": "c"})
        reply(msg, {"type": "read_ok", "value": r.get("value", 0) if r["type"] == "read_ok" else 0})


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body.get("type")
    if t == "init":
        node_id = body["node_id"]
        reply(msg, {"type": "init_ok" if mode != "not-init" else "hello"})
        continue
    if "in_reply_to" in body and body["in_reply_to"] in pending:
        pending.pop(body["in_reply_to"]).put(body)
        continue
    if mode == "exit":
        sys.exit(3)
    if mode == "debug":
        print("some debugging output")
        sys.stdout.flush()
        continue
    if t == "echo":
        out = {"type": "echo_ok", "echo": body["echo"]}
        if mode == "malformed":
            out["extra"] = True
        reply(msg, out)
    elif t == "generate":
        counter[0] += 1
        reply(msg, {"type": "generate_ok", "id": "%s-%d" % (node_id, counter[0])})
    elif t == "topology":
        neighbours = body["topology"].get(node_id, [])
        reply(msg, {"type": "topology_ok"})
    elif t in ("broadcast", "gossip"):
        v = body["message"]
        if v not in seen:
            seen.add(v)
            for n in neighbours:
                if n != msg["src"]:
                    send(n, {"type": "gossip", "message": v})
        if t == "broadcast":
            reply(msg, {"type": "broadcast_ok"})
    elif t == "read" and mode == "broadcast":
        reply(msg, {"type": "read_ok", "messages": sorted(seen)})
    elif mode == "g-set" and t == "add":
        seen.add(body["element"])
        reply(msg, {"type": "add_ok"})
    elif mode == "g-set" and t == "read":
        reply(msg, {"type": "read_ok", "value": sorted(seen)})
    elif mode == "counter":
        threading.Thread(target=counter_op, args=(msg,), daemon=True).start()

while True:
    time.sleep(100)
