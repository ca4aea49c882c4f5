using System.Text;
using PuffinOffset.StripeSandbox.Webhooks;
using static PuffinOffset.StripeSandbox.HostedCheckout.SandboxHtml;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>
/// <c>/c/pending</c>: the delayed payments waiting for the bank (confirm or fail each one, as the bank
/// would days later) and the sandbox's recent webhook deliveries.
/// </summary>
public static class PendingPaymentsPage
{
    public static IEndpointRouteBuilder MapPendingPaymentsPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/c/pending", Show);
        app.MapPost("/c/pending/{id}", SettleAsync);
        return app;
    }

    private static IResult Show(HostedCheckoutSessions checkout, CheckoutSessionStore sessions, EventLog log)
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
              <h1>Recent webhook deliveries</h1>
              <table id="webhook-deliveries">
                <tr><th>Time (UTC)</th><th>Event</th><th>Id</th><th>Attempt</th><th>Answer</th></tr>
                {(deliveries.Length > 0 ? deliveries : "<tr><td colspan=\"5\" class=\"muted\">None yet.</td></tr>")}
              </table>
            </section>
            """);
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
