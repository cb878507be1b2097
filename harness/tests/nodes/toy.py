#!/usr/bin/env python3
"""Toy Maelstrom nodes for the harness's end-to-end tests.

The first argument picks the behaviour (the harness forwards stray CLI words to the node):
echo, unique-ids, broadcast (flooding), g-set (local only), counter (naive read+cas on
seq-kv), exit (exits on the first client op), debug (prints a non-JSON line on stdout),
malformed (echo replies with an extra body key), not-init (answers init with another type),
kafka (single-node in-memory logs: send/poll/commit_offsets/list_committed_offsets; polls
return at most 8 messages per key, and every requested key, empty or not), txn (single-node
in-memory transactions: r, w, append).
Deliberately broken modes, for the checkers to flag: kafka-lose (the first send that gets
offset 2, on any key, is acknowledged but never returned by polls), kafka-dup-offset (the
first send that would get offset 2 gets offset 1 again, overwriting that message), kafka-skip (once per key, a poll
continuing from where this client's previous poll ended skips one offset), txn-dirty (every
5th txn with a write applies its writes, then fails with txn-conflict), txn-intermediate (a
txn writing a key twice installs only its first write), txn-cycle (two replicas: a txn is held
until a concurrent one arrives, then each runs on its own replica, but replication ships the
other txn's writes there before the reads run, so each txn of the pair observes the other's
writes (a wr cycle, Elle's G1c, whenever each reads a key the other writes), and the shared
state applies the pair's writes in opposite orders per key: even keys first-then-second, odd
keys second-then-first; a txn alone for 0.2 s runs by itself).
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


# kafka: key -> list of [offset, msg] (offsets dense from 0); committed offsets; bookkeeping
# for the broken modes.
logs = {}
committed = {}
lost = set()  # (key, offset) never returned by polls (kafka-lose); a marker (dup-offset)
skipped_keys = set()  # keys whose one skip has happened (kafka-skip)
poll_ends = {}  # (client, key) -> offset after the last pair this client was sent
POLL_LIMIT = 8


def kafka_op(msg):
    body = msg["body"]
    t = body["type"]
    if t == "send":
        log = logs.setdefault(body["key"], [])
        offset = len(log)
        if mode == "kafka-dup-offset" and offset == 2 and not lost:
            lost.add(None)  # only once
            offset = 1
            log[1] = [1, body["msg"]]
        else:
            log.append([offset, body["msg"]])
        if mode == "kafka-lose" and offset == 2 and not lost:
            lost.add((body["key"], offset))
        reply(msg, {"type": "send_ok", "offset": offset})
    elif t == "poll":
        out = {}
        for k, start in body["offsets"].items():
            if (mode == "kafka-skip" and start > 0 and k not in skipped_keys
                    and poll_ends.get((msg["src"], k)) == start and start + 1 < len(logs.get(k, []))):
                skipped_keys.add(k)
                start += 1
            pairs = [p for p in logs.get(k, [])[start:] if (k, p[0]) not in lost][:POLL_LIMIT]
            out[k] = pairs
            if pairs:
                poll_ends[(msg["src"], k)] = pairs[-1][0] + 1
        reply(msg, {"type": "poll_ok", "msgs": out})
    elif t == "commit_offsets":
        for k, o in body["offsets"].items():
            committed[k] = max(committed.get(k, 0), o)
        reply(msg, {"type": "commit_offsets_ok"})
    elif t == "list_committed_offsets":
        reply(msg, {"type": "list_committed_offsets_ok",
                    "offsets": {k: committed[k] for k in body["keys"] if k in committed}})


# txn: key -> value (registers) or list (appends).
store = {}
txn_count = [0]


def run_txn(txn, view):
    """The txn's mops run against `view` (a dict, modified): reads filled in."""
    out = []
    for f, k, v in txn:
        if f == "r":
            cur = view.get(k)
            out.append([f, k, list(cur) if isinstance(cur, list) else cur])
        elif f == "append":
            view[k] = view.get(k, []) + [v]
            out.append([f, k, v])
        else:
            view[k] = v
            out.append([f, k, v])
    return out


held = []  # txn-cycle: the txn waiting for a partner, at most one
cycle_lock = threading.Lock()


def cycle_run(pair):
    """txn-cycle: runs one txn, or a pair with mutual visibility; call with cycle_lock held."""
    if len(pair) == 1:
        reply(pair[0], {"type": "txn_ok", "txn": run_txn(pair[0]["body"]["txn"], store)})
        return
    txns = [m["body"]["txn"] for m in pair]
    outs = []
    for i, txn in enumerate(txns):
        view = dict(store)
        run_txn(txns[1 - i], view)  # the other replica's writes, replicated ahead of the reads
        outs.append(run_txn(txn, view))
    for k in {m[1] for txn in txns for m in txn if m[0] != "r"}:
        order = txns if k % 2 == 0 else txns[::-1]
        for txn in order:
            run_txn([m for m in txn if m[0] != "r" and m[1] == k], store)
    for m, out in zip(pair, outs):
        reply(m, {"type": "txn_ok", "txn": out})


def cycle_flush(msg):
    with cycle_lock:
        if held and held[0] is msg:
            cycle_run([held.pop()])


def cycle_op(msg):
    with cycle_lock:
        if held:
            cycle_run([held.pop(), msg])
            return
        held.append(msg)
    threading.Timer(0.2, cycle_flush, args=(msg,)).start()


def txn_op(msg):
    if mode == "txn-cycle":
        cycle_op(msg)
        return
    txn = msg["body"]["txn"]
    writes = [m for m in txn if m[0] != "r"]
    if writes:
        txn_count[0] += 1
    fail = mode == "txn-dirty" and writes and txn_count[0] % 5 == 0
    written = set()
    out = []
    for f, k, v in txn:
        if f == "r":
            cur = store.get(k)
            out.append([f, k, list(cur) if isinstance(cur, list) else cur])
            continue
        out.append([f, k, v])
        if mode == "txn-intermediate" and k in written:
            continue
        written.add(k)
        if f == "append":
            store[k] = store.get(k, []) + [v]
        else:
            store[k] = v
    if fail:
        reply(msg, {"type": "error", "code": 30, "text": "txn-conflict (after applying writes)"})
    else:
        reply(msg, {"type": "txn_ok", "txn": out})


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
    elif mode.startswith("kafka"):
        kafka_op(msg)
    elif mode.startswith("txn"):
        txn_op(msg)
    elif mode == "counter":
        threading.Thread(target=counter_op, args=(msg,), daemon=True).start()

while True:
    time.sleep(100)
