"""A small fake of Stripe's API, served on loopback, and webhook payloads signed the real way.

The app talks to it through the real `stripe` library (STRIPE_API_BASE points here). Only
the endpoints the app calls exist: customers, Checkout sessions, subscriptions and billing
portal sessions. A test drives the "Stripe side" with `complete_checkout`, `set_subscription`
and `event`, then posts the event with `post_event`.
"""

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_civicnet"
DAY = 24 * 60 * 60


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


class FakeStripe:
    def __init__(self):
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self._ids)}"

    # --- The Stripe side of the story -----------------------------------------------------
    def set_subscription(
        self,
        sub_id: str,
        *,
        customer: str,
        status: str = "active",
        period_end: int | None = None,
        cancel_at_period_end: bool = False,
        price: str = "price_individual_year",
        user_id: int | None = None,
        cancellation_details: dict | None = None,
    ) -> dict:
        period_end = period_end or int(time.time()) + 365 * DAY
        # An update keeps the creation time; each new subscription is newer than the last.
        previous = self.subscriptions.get(sub_id) or {}
        created = previous.get("created") or int(time.time()) + next(self._ids)
        subscription = {
            "id": sub_id,
            "object": "subscription",
            "created": created,
            "customer": customer,
            "status": status,
            "cancel_at_period_end": cancel_at_period_end,
            "cancellation_details": cancellation_details
            or {"comment": None, "feedback": None, "reason": None},
            "metadata": {"user_id": str(user_id)} if user_id else {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{sub_id}",
                        "object": "subscription_item",
                        "price": {"id": price, "object": "price"},
                        "current_period_start": period_end - 365 * DAY,
                        "current_period_end": period_end,
                    }
                ],
            },
        }
        self.subscriptions[sub_id] = subscription
        return subscription

    def complete_checkout(self, session_id: str, *, period_end: int | None = None) -> dict:
        """The buyer paid: Stripe makes the subscription; returns the completed session."""
        session = self.sessions[session_id]
        sub_id = self.new_id("sub")
        self.set_subscription(
            sub_id,
            customer=session["customer"],
            period_end=period_end,
            price=session["line_items[0][price]"],
            user_id=int(session["subscription_data[metadata][user_id]"]),
        )
        session.update(status="complete", payment_status="paid", subscription=sub_id)
        return session

    def event(self, event_type: str, obj: dict) -> dict:
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "type": event_type,
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def invoice(self, sub_id: str, *, amount_paid: int = 0, billing_reason: str = "") -> dict:
        return {
            "id": self.new_id("in"),
            "object": "invoice",
            "amount_paid": amount_paid,
            "currency": "usd",
            "billing_reason": billing_reason or "subscription_cycle",
            "status_transitions": {"paid_at": int(time.time()) if amount_paid else None},
            "customer": self.subscriptions[sub_id]["customer"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": sub_id},
            },
        }

    def refunded_charge(
        self, sub_id: str, *refunds: int, amount: int = 12000, currency: str = "usd"
    ) -> dict:
        """A charge of the subscription's customer, refunded in these amounts (Stripe keeps
        it: GET /v1/charges/<id> answers with it)."""
        charge = {
            "id": self.new_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_refunded": 0,
            "currency": currency,
            "customer": self.subscriptions[sub_id]["customer"],
            "refunded": False,
            "refunds": {"object": "list", "data": []},
        }
        self.charges[charge["id"]] = charge
        for cents in refunds:
            self.refund(charge["id"], cents)
        return json.loads(json.dumps(charge))

    def refund(self, charge_id: str, amount: int, *, status: str = "succeeded") -> dict:
        """Refund part of a charge: the refund object (what refund.created carries)."""
        charge = self.charges[charge_id]
        refund = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge_id,
            "currency": charge["currency"],
            "status": status,
            "created": int(time.time()),
        }
        charge["refunds"]["data"].append(refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return dict(refund)

    def charge_now(self, charge_id: str, *, itemised: bool = True) -> dict:
        """The charge as it is now; as Stripe's newer API versions send it (no refund list)
        when not itemised."""
        charge = json.loads(json.dumps(self.charges[charge_id]))
        if not itemised:
            charge.pop("refunds")
        return charge

    # --- HTTP -----------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict | str, content_type="application/json"):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _missing(self):
                self._send(
                    404,
                    {"error": {"type": "invalid_request_error", "message": "No such object"}},
                )

            def do_GET(self):
                fake.requests.append(("GET", self.path, {}))
                if self.path.startswith("/v1/subscriptions/"):
                    sub = fake.subscriptions.get(self.path.rsplit("/", 1)[1])
                    return self._send(200, sub) if sub else self._missing()
                if self.path.startswith("/v1/charges/"):
                    charge = fake.charges.get(self.path.rsplit("/", 1)[1].split("?")[0])
                    if charge is None:
                        return self._missing()
                    return self._send(200, {k: v for k, v in charge.items() if k != "refunds"})
                if self.path.startswith("/checkout/"):
                    return self._send(
                        200,
                        "<!doctype html><html lang='en'><title>Fake Stripe Checkout</title>"
                        "<main><h1>Fake Stripe Checkout</h1></main></html>",
                        "text/html",
                    )
                return self._missing()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                fake.requests.append(("POST", self.path, params))
                if self.path == "/v1/customers":
                    customer = {"id": fake.new_id("cus"), "object": "customer", **params}
                    fake.customers[customer["id"]] = customer
                    return self._send(200, customer)
                if self.path == "/v1/checkout/sessions":
                    session_id = fake.new_id("cs")
                    session = {
                        **params,
                        "id": session_id,
                        "object": "checkout.session",
                        "status": "open",
                        "url": f"{fake.url}/checkout/{session_id}",
                    }
                    fake.sessions[session_id] = session
                    return self._send(200, session)
                if self.path == "/v1/billing_portal/sessions":
                    return self._send(
                        200,
                        {
                            "id": fake.new_id("bps"),
                            "object": "billing_portal.session",
                            "customer": params.get("customer"),
                            "url": f"{fake.url}/portal/{params.get('customer')}",
                        },
                    )
                return self._missing()

            def do_DELETE(self):
                fake.requests.append(("DELETE", self.path, {}))
                if self.path.startswith("/v1/subscriptions/"):
                    sub = fake.subscriptions.get(self.path.rsplit("/", 1)[1])
                    if not sub:
                        return self._missing()
                    sub["status"] = "canceled"
                    return self._send(200, sub)
                return self._missing()

        return Handler


def post_event(client, event: dict, *, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    """POST an event to the webhook the way Stripe does: raw JSON and a signature header."""
    payload = json.dumps(event).encode()
    headers = (
        {} if signature == "" else {"HTTP_STRIPE_SIGNATURE": signature or sign(payload, secret)}
    )
    return client.post(
        "/membership/webhook/", data=payload, content_type="application/json", **headers
    )
