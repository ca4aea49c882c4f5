using System.Text;
using PuffinOffset.StripeSandbox.Webhooks;
using static PuffinOffset.StripeSandbox.HostedCheckout.SandboxHtml;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>
/// <c>/c/pending</c>: the delayed payments waiting for the bank (confirm or fail each one, as the bank
/// would days later), the payments taken (refund or dispute each one, as the merchant's dashboard or the
/// customer's bank would) and the sandbox's recent webhook deliveries.
/// </summary>
public static class PendingPaymentsPage
{
    public static IEndpointRouteBuilder MapPendingPaymentsPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/c/pending", Show);
        app.MapPost("/c/pending/{id}", SettleAsync);
        app.MapPost("/c/payments/{id}", ActOnPaymentAsync);
        return app;
    }

    private static IResult Show(HostedCheckoutSessions checkout, PaidPayments payments, CheckoutSessionStore sessions, EventLog log)
    {
        var rows = new StringBuilder();
        foreach (var session in checkout.AwaitingPayment)
        {
            var id = Encode((string)session["id"]!);
            var item = sessions.LineItemOf((string)session["id"]!);
            var details = session["customer_details"] as IReadOnlyDictionary<string, object?>;
            rows.Append($"""
                <tr id="pending-{id}">
                  <td>{Encode(item?.Name)}<br><code>{id}</code></td>
                  <td>{Encode(Money(Convert.ToInt64(session["amount_total"]), session["currency"] as string))}</td>
                  <td>{Encode(details?["email"] as string)}</td>
                  <td>
                    <form method="post" action="/c/pending/{id}"><button id="confirm-{id}" class="primary" name="outcome" value="succeed">Confirm</button></form>
                    <form method="post" action="/c/pending/{id}"><button id="fail-{id}" class="secondary" name="outcome" value="fail">Fail</button></form>
                  </td>
                </tr>
                """);
        }

        var paid = new StringBuilder();
        foreach (var session in payments.Paid)
        {
            var sessionId = (string)session["id"]!;
            var id = Encode(sessionId);
            var charge = payments.StateOf(sessionId);
            var amount = Convert.ToInt64(session["amount_total"]);
            var currency = session["currency"] as string;
            var state = charge is null ? "paid"
                : string.Join(", ", new[]
                {
                    charge.AmountRefunded > 0 ? $"refunded {Money(charge.AmountRefunded, currency)}" : null,
                    charge.DisputeStatus is { } dispute ? $"dispute {dispute}" : null,
                }.OfType<string>().DefaultIfEmpty("paid"));
            paid.Append($"""
                <tr id="paid-{id}">
                  <td>{Encode(sessions.LineItemOf(sessionId)?.Name)}<br><code>{id}</code><br><code>{Encode(session["payment_intent"] as string)}</code></td>
                  <td>{Encode(Money(amount, currency))}</td>
                  <td>{Encode(state)}</td>
                  <td>
                    {PaymentAction(id, "refund", "Refund in full", "primary")}
                    {PaymentAction(id, "refund-partial", "Refund half", "secondary")}
                    {PaymentAction(id, "dispute", "Open dispute", "secondary")}
                    {PaymentAction(id, "dispute-won", "Close dispute (won)", "secondary")}
                    {PaymentAction(id, "dispute-lost", "Close dispute (lost)", "secondary")}
                  </td>
                </tr>
                """);
        }

        var deliveries = new StringBuilder();
        foreach (var attempt in log.Attempts.Reverse().Take(20))
        {
            deliveries.Append($"""
                <tr><td>{Encode(attempt.At.ToString("HH:mm:ss"))}</td><td>{Encode(attempt.EventType)}</td><td><code>{Encode(attempt.EventId)}</code></td>
                <td>{attempt.Attempt}{(attempt.Copy > 1 ? " (copy 2)" : "")}</td><td class="{(attempt.Succeeded ? "" : "error")}">{Encode(attempt.StatusCode?.ToString() ?? attempt.Error)}</td></tr>
                """);
        }

        return Page("Sandbox: pending payments", $"""
            <section style="flex-basis: 100%">
              <h1>Delayed payments awaiting the bank</h1>
              <table id="pending-payments">
                <tr><th>Order</th><th>Amount</th><th>E-mail</th><th></th></tr>
                {(rows.Length > 0 ? rows : "<tr><td colspan=\"4\" class=\"muted\">None.</td></tr>")}
              </table>
            </section>
            <section style="flex-basis: 100%">
              <h1>Payments taken</h1>
              <table id="paid-payments">
                <tr><th>Order</th><th>Amount</th><th>State</th><th></th></tr>
                {(paid.Length > 0 ? paid : "<tr><td colspan=\"4\" class=\"muted\">None.</td></tr>")}
              </table>
            </section>
            <section style="flex-basis: 100%">
              <h1>Recent webhook deliveries</h1>
              <table id="webhook-deliveries">
                <tr><th>Time (UTC)</th><th>Event</th><th>Id</th><th>Attempt</th><th>Answer</th></tr>
                {(deliveries.Length > 0 ? deliveries : "<tr><td colspan=\"5\" class=\"muted\">None yet.</td></tr>")}
              </table>
            </section>
            """);
    }

    private static string PaymentAction(string id, string action, string label, string style) =>
        $"""<form method="post" action="/c/payments/{id}"><button id="{action}-{id}" class="{style}" name="action" value="{action}">{label}</button></form>""";

    /// <summary>A refund from the merchant's dashboard, or a dispute from the customer's bank: one webhook each.</summary>
    private static async Task<IResult> ActOnPaymentAsync(string id, HttpRequest request, PaidPayments payments, CheckoutSessionStore sessions)
    {
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var half = sessions.Find(id)?["amount_total"] is { } total ? Convert.ToInt64(total) / 2 : 0;
        var raised = form["action"].ToString() switch
        {
            "refund" => payments.Refund(id),
            "refund-partial" => payments.Refund(id, Math.Max(1, half)),
            "dispute" => payments.OpenDispute(id),
            "dispute-won" => payments.CloseDispute(id, won: true),
            "dispute-lost" => payments.CloseDispute(id, won: false),
            _ => null,
        };
        return raised is null
            ? Message("Nothing to do", "This payment does not allow that now (not paid, already refunded in full, or no dispute open).", StatusCodes.Status409Conflict)
            : Results.Redirect("/c/pending");
    }

    private static async Task<IResult> SettleAsync(string id, HttpRequest request, HostedCheckoutSessions checkout)
    {
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var session = form["outcome"].ToString() switch
        {
            "succeed" => checkout.ConfirmDelayedPayment(id),
            "fail" => checkout.FailDelayedPayment(id),
            _ => null,
        };
        return session is null
            ? Message("Nothing to settle", "This payment is not waiting for the bank (already settled, or unknown).", StatusCodes.Status409Conflict)
            : Results.Redirect(CheckoutPage.SuccessUrl(session) ?? "/c/pending");
    }
}
