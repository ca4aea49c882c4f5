// Follows the order behind the Checkout session until it reaches a final status.
const api = window.PUFFIN_API_URL;
const sessionId = new URLSearchParams(window.location.search).get("session_id");
const finalStatuses = ["fulfilled", "fulfillment_failed", "payment_failed", "expired"];
const explanations = {
  pending: "Waiting for Stripe to confirm the checkout…",
  awaiting_payment: "Your bank payment is being processed; this can take a few days.",
  paid: "Payment confirmed. Buying your offset from Wren…",
  fulfilled: "Done: your offset has been bought.",
  fulfillment_failed: "We could not buy the offset yet; our team has been alerted.",
  payment_failed: "The payment failed; nothing was bought.",
  expired: "The checkout expired before payment.",
};

const unpaid = ["payment_failed", "expired"];

function render(order) {
  if (unpaid.includes(order.status)) {
    document.getElementById("heading").textContent = "No payment was taken";
    document.getElementById("lead").textContent = "This order will not be fulfilled.";
  }
  const status = document.getElementById("status");
  status.textContent = order.status;
  status.dataset.status = order.status;
  document.getElementById("order-id").textContent = order.orderId;
  document.getElementById("tons").textContent = `${order.tons} t CO2e`;
  document.getElementById("total").textContent = `$${(order.amountTotal / 100).toFixed(2)} ${order.currency.toUpperCase()}`;
  document.getElementById("wren-order").textContent =
    order.wrenOrderId ?? (order.status === "fulfilled" && order.dryRun ? "dry run (nothing charged)" : "—");
  document.getElementById("explanation").textContent = explanations[order.status] ?? "";
}

async function poll() {
  if (!sessionId) {
    document.getElementById("explanation").textContent = "No checkout session in the address.";
    return;
  }
  try {
    const response = await fetch(`${api}/api/checkout/session/${encodeURIComponent(sessionId)}`);
    if (response.ok) {
      const order = await response.json();
      render(order);
      if (finalStatuses.includes(order.status)) {
        return;
      }
    }
  } catch {
    // The Api may be restarting; keep following.
  }
  setTimeout(poll, 1000);
}

poll();
