namespace PuffinOffset.StripeSandbox;

public sealed record FaultRequest(int Count, int? Status, int? DelayMilliseconds);

/// <summary>Test controls over HTTP (tests hosting the sandbox in-process can use the services directly).</summary>
public static class SandboxControlApi
{
    public static IEndpointRouteBuilder MapSandboxControlApi(this IEndpointRouteBuilder app)
    {
        var sandbox = app.MapGroup("/_sandbox");
        sandbox.MapGet("/requests", (ReceivedRequests received) => Results.Ok(received.All));
        sandbox.MapGet("/checkout/sessions", (CheckoutSessionStore sessions) => Results.Ok(sessions.All));
        sandbox.MapPost("/faults", (FaultRequest request, FaultInjector faults) =>
        {
            faults.Plan(request.Count, new Fault(request.Status,
                request.DelayMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null));
            return Results.NoContent();
        });
        sandbox.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        return app;
    }
}
