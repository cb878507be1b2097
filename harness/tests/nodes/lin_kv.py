#!/usr/bin/env python3
"""Test nodes for the harness's lin-kv workload (tests/e2e_lin_kv.rs).

The first argument picks the behaviour (the harness forwards stray CLI words to the node):
  proxy  (default) a correct store: every client read/write/cas is forwarded to Maelstrom's
         linearizable `lin-kv` service and its answer (errors 20 and 22 included) relayed back.
  lossy  proxy, except that every 7th write or cas is applied but its reply is dropped and
         every 11th is dropped before reaching the service, so clients time out (`:info` ops
         that did or did not take effect): still linearizable.
  local  a broken store: each node keeps its own map and never talks to the others, so a read
         on one node misses writes acknowledged by another (not linearizable).
Writes its argv to stderr and stays alive after stdin closes, as Maelstrom requires.
"""
import json
import sys
import threading

mode = sys.argv[1] if len(sys.argv) > 1 else "proxy"
print("argv:", json.dumps(sys.argv[1:]), file=sys.stderr, flush=True)
node_id = None
next_id = [0]
forwarded = {}  # our msg_id -> the client request it answers
store = {}
out_lock = threading.Lock()


def send(dest, body):
    with out_lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def reply(msg, body):
    body["in_reply_to"] = msg["body"]["msg_id"]
    send(msg["src"], body)


def local(msg):
    body = msg["body"]
    key = json.dumps(body.get("key"))
    t = body["type"]
    if t == "read":
        if key not in store:
            reply(msg, {"type": "error", "code": 20, "text": "key does not exist"})
        else:
            reply(msg, {"type": "read_ok", "value": store[key]})
    elif t == "write":
        store[key] = body["value"]
        reply(msg, {"type": "write_ok"})
    elif t == "cas":
        if key not in store:
            reply(msg, {"type": "error", "code": 20, "text": "key does not exist"})
        elif store[key] != body["from"]:
            reply(msg, {"type": "error", "code": 22,
                        "text": "current value %s is not %s" % (store[key], body["from"])})
        else:
            store[key] = body["to"]
            reply(msg, {"type": "cas_ok"})


writes = [0]


def forward(msg):
    next_id[0] += 1
    mid = next_id[0]
    if mode == "lossy" and msg["body"]["type"] != "read":
        writes[0] += 1
        if writes[0] % 11 == 0:
            return
        if writes[0] % 7 != 0:
            forwarded[mid] = msg
    else:
        forwarded[mid] = msg
    body = {k: v for k, v in msg["body"].items() if k != "msg_id"}
    body["msg_id"] = mid
    send("lin-kv", body)


def relay(msg):
    original = forwarded.pop(msg["body"].get("in_reply_to"), None)
    if original is None:
        return
    body = {k: v for k, v in msg["body"].items() if k not in ("in_reply_to", "msg_id")}
    reply(original, body)


def main():
    global node_id
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        body = msg["body"]
        t = body.get("type")
        if t == "init":
            node_id = body["node_id"]
            reply(msg, {"type": "init_ok"})
        elif msg["src"] == "lin-kv":
            relay(msg)
        elif t in ("read", "write", "cas"):
            if mode == "local":
                local(msg)
            else:
                forward(msg)
    # Maelstrom treats a node that exits as crashed: wait to be killed.
    threading.Event().wait()


main()
