using static PuffinOffset.StripeSandbox.HostedCheckout.SandboxHtml;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>
/// The hosted checkout page at the session's <c>url</c> (<c>/c/pay/{id}</c>): shows what is bought and
/// lets the person pay by card, pay with a delayed method, cancel, or let the session expire; then
/// sends them to the session's success or cancel URL, as Stripe does.
/// </summary>
public static class CheckoutPage
{
    public static IEndpointRouteBuilder MapCheckoutPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/c/pay/{id}", Show);
        app.MapPost("/c/pay/{id}", SubmitAsync);
        return app;
    }

    private static IResult Show(string id, CheckoutSessionStore sessions)
    {
        if (sessions.Find(id) is not { } session)
        {
            return Message("Checkout not found", "There is no checkout session at this address.", StatusCodes.Status404NotFound);
        }

        if (session["status"] as string != "open")
        {
            return Message("This checkout is no longer available",
                $"The checkout session is {session["status"]}; nothing more can be paid here.", StatusCodes.Status410Gone);
        }

        var item = sessions.LineItemOf(id);
        var amount = Money(Convert.ToInt64(session["amount_total"]), session["currency"] as string);
        var email = session["customer_email"] as string;
        return Page($"Pay {amount}", $"""
            <section>
              <p class="muted">Puffin Offset</p>
              <h1 id="product-name">{Encode(item?.Name)}</h1>
              <p class="muted" id="product-description">{Encode(item?.Description)}</p>
              <p class="amount" id="amount">{Encode(amount)}</p>
              <p class="muted">Session <code id="session-id">{Encode(id)}</code></p>
            </section>
            <section>
              <form method="post" action="/c/pay/{Encode(id)}" id="checkout-form">
                <label for="email">E-mail</label>
                <input id="email" name="email" type="email" required value="{Encode(email)}"{(email is null ? "" : " readonly")}>
                <label for="name">Name</label>
                <input id="name" name="name" value="Sandbox Buyer" required>
                <label for="card">Card (sandbox: any value)</label>
                <input id="card" name="card" value="4242 4242 4242 4242" inputmode="numeric">
                <button id="pay-card" class="primary" name="outcome" value="card">Pay {Encode(amount)}</button>
                <button id="pay-delayed" class="secondary" name="outcome" value="delayed">Pay by bank debit (confirmed later)</button>
                <button id="cancel" class="link" name="outcome" value="cancel" formnovalidate>Cancel and return to the shop</button>
                <button id="expire" class="link" name="outcome" value="expire" formnovalidate>Let this session expire</button>
              </form>
              <p class="muted">A delayed payment waits on the <a href="/c/pending">pending payments</a> page to be confirmed or failed.</p>
            </section>
            """);
    }

    private static async Task<IResult> SubmitAsync(string id, HttpRequest request, CheckoutSessionStore sessions, HostedCheckoutSessions checkout)
    {
        if (sessions.Find(id) is not { } session)
        {
            return Message("Checkout not found", "There is no checkout session at this address.", StatusCodes.Status404NotFound);
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var outcome = form["outcome"].ToString();
        if (outcome == "cancel")
        {
            // Cancelling only leaves the page: the session stays open and no event is sent.
            return session["cancel_url"] is string cancelUrl
                ? Results.Redirect(cancelUrl)
                : Message("Checkout cancelled", "You left the checkout; nothing was charged.", StatusCodes.Status200OK);
        }

        var email = (session["customer_email"] as string) ?? form["email"].ToString().Trim();
        var customer = new CheckoutCustomer(email, form["name"].ToString().Trim() is { Length: > 0 } name ? name : "Sandbox Buyer");
        if (outcome is "card" or "delayed" && !email.Contains('@', StringComparison.Ordinal))
        {
            return Message("E-mail needed", "Enter an e-mail address to pay.", StatusCodes.Status400BadRequest);
        }

        var changed = outcome switch
        {
            "card" => checkout.PayByCard(id, customer),
            "delayed" => checkout.PayWithDelayedMethod(id, customer),
            "expire" => checkout.Expire(id),
            _ => null,
        };
        if (changed is null)
        {
            return Message("This checkout is no longer available",
                $"The checkout session is {session["status"]}; nothing was charged again.", StatusCodes.Status409Conflict);
        }

        // Stripe sends an expired session nowhere; the sandbox returns the person to the shop so they see the order expire.
        return Results.Redirect(SuccessUrl(changed) ?? "/");
    }

    /// <summary>The success URL with Stripe's <c>{CHECKOUT_SESSION_ID}</c> template filled in.</summary>
    public static string? SuccessUrl(IReadOnlyDictionary<string, object?> session) =>
        (session["success_url"] as string)?.Replace("{CHECKOUT_SESSION_ID}", (string)session["id"]!, StringComparison.Ordinal);
}
