#!/usr/bin/env python3
"""Traffic for deploy/smoke-test.sh's rolling upgrade: checkouts and Stripe-signed webhooks through nginx until
the stop file appears. Each worker creates a session from its own client addresses (127.0.N.x, so the
per-client rate limit never answers 429), posts the paid event for it, and re-posts every third event (Stripe's
retries: the Api answers 200 again). Writes a JSON report: requests, failures (anything but 2xx), paid orders.
Each worker starts one order every PERIOD seconds (about 4 orders and 9 requests a second in all): steady traffic
through every drain and restart, without saturating the machine (unpaced, the workers took both cores and were most
of the smoke test's CPU)."""
import hashlib, hmac, http.client, json, os, ssl, sys, threading, time, uuid

public, cafile, secret, fixture, stop_file, report_file = sys.argv[1:7]
host, port = public.split("//", 1)[1].rsplit(":", 1)
context = ssl.create_default_context(cafile=cafile)
template = open(fixture, encoding="utf-8").read()
event = json.loads(template)
lock = threading.Lock()
PERIOD = 0.75
report = {"requests": 0, "checkouts": 0, "webhooks": 0, "repeats": 0, "failures": [], "orders": []}


def send(source, method, path, body, headers):
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=90, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except Exception as error:  # a dropped connection is a failed request too
        return 0, repr(error)
    finally:
        connection.close()


def record(kind, status, text):
    with lock:
        report["requests"] += 1
        report[kind] += 1
        if not 200 <= status < 300:
            report["failures"].append({"kind": kind, "status": status, "body": text[:300], "at": time.time()})


def paid_event(order_id, session_id):
    body = template.replace(event["data"]["object"]["id"], session_id)
    body = body.replace('"%s"' % event["data"]["object"]["metadata"]["orderId"], '"%s"' % order_id)
    return body.replace('"%s"' % event["id"], '"evt_load_%s"' % uuid.uuid4().hex)


def post_event(source, body):
    t = str(int(time.time()))
    signature = hmac.new(secret.encode(), (t + "." + body).encode(), hashlib.sha256).hexdigest()
    return send(source, "POST", "/api/webhooks/stripe", body.encode(),
                {"content-type": "application/json", "Stripe-Signature": "t=%s,v1=%s" % (t, signature)})


def worker(number):
    sequence = 0
    next_start = time.monotonic()
    while not os.path.exists(stop_file):
        # On schedule, never in a burst to catch up: a slow answer only delays the next order.
        time.sleep(max(0.0, next_start - time.monotonic()))
        next_start = max(next_start + PERIOD, time.monotonic())
        sequence += 1
        # 250 addresses per worker, one checkout each per pass: far under 3 a minute per client.
        source = "127.0.%d.%d" % (10 + number, 1 + sequence % 250)
        status, text = send(source, "POST", "/api/checkout/create-session",
                            json.dumps({"tons": 1, "portfolioId": 21, "customerEmail": "load@example.com"}).encode(),
                            {"content-type": "application/json"})
        record("checkouts", status, text)
        if status != 200:
            continue
        session = json.loads(text)
        body = paid_event(session["orderId"], session["sessionId"])
        status, text = post_event(source, body)
        record("webhooks", status, text)
        if status == 200:
            with lock:
                report["orders"].append(session["orderId"])
        if sequence % 3 == 0:
            status, text = post_event(source, body)
            record("repeats", status, text)


threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(report_file, "w", encoding="utf-8") as out:
    json.dump(report, out)
