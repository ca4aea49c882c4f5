namespace PuffinOffset.WrenSandbox;

/// <summary>
/// Failure injection and inspection for tests and demos, e.g.
/// <c>curl -X POST localhost:PORT/sandbox/faults -d '{"kind":"status","status":503,"count":3}' -H 'content-type: application/json'</c>,
/// or, for every later request, <c>{"kind":"status-rate","status":503,"percent":10}</c> (0 % turns a rate off).
/// </summary>
public static class SandboxControlEndpoints
{
    public sealed record FaultRequest(string Kind, int Count = 1, int Status = 503, int DelayMilliseconds = 0, string? RetryAfter = null, int Percent = 0);

    public sealed record SeedRequest(string Note, decimal Tons = 1m, int AgeSeconds = 0);

    public static IEndpointRouteBuilder MapSandboxControl(this IEndpointRouteBuilder app)
    {
        var sandbox = app.MapGroup("/sandbox");
        sandbox.MapPost("/faults", (FaultRequest fault, SandboxState state) =>
        {
            switch (fault.Kind)
            {
                case "status":
                    state.FailNextPosts(fault.Count, fault.Status);
                    break;
                case "delay":
                    state.DelayNextPosts(fault.Count, TimeSpan.FromMilliseconds(fault.DelayMilliseconds));
                    break;
                case "drop":
                    state.DropConnectionAfterStoringNextPosts(fault.Count);
                    break;
                case "store-after-delay":
                    state.StoreAfterDelayForNextPosts(fault.Count, TimeSpan.FromMilliseconds(fault.DelayMilliseconds));
                    break;
                case "ok-without-id":
                    state.AnswerWithoutIdForNextPosts(fault.Count);
                    break;
                case "rate-limit":
                    state.RateLimitNextPosts(fault.Count, fault.RetryAfter);
                    break;
                case "lookup-status":
                    state.FailNextLookups(fault.Count, fault.Status);
                    break;
                case "status-rate" or "slow-rate" when fault.Percent is < 0 or > 100:
                    return Results.Problem(statusCode: 400, title: "Invalid percent", detail: "percent is between 0 and 100.");
                case "status-rate":
                    state.FailPostsAtRate(fault.Percent, fault.Status);
                    break;
                case "slow-rate":
                    state.SlowPostsAtRate(fault.Percent, TimeSpan.FromMilliseconds(fault.DelayMilliseconds));
                    break;
                default:
                    return Results.Problem(statusCode: 400, title: "Unknown fault kind",
                        detail: "kind is one of status, rate-limit (429, optional retryAfter), delay, drop, store-after-delay, ok-without-id, lookup-status, status-rate, slow-rate.");
            }

            return Results.NoContent();
        });
        sandbox.MapGet("/posts", (SandboxState state) => state.ReceivedPosts);
        sandbox.MapGet("/in-flight", (SandboxState state) => new { posts = state.PostsInFlight, requests = state.InFlightPosts });
        sandbox.MapGet("/orders", (SandboxState state) => state.Orders);
        // An order placed "earlier", e.g. a second one with the note of a paid order (a duplicate to detect).
        sandbox.MapPost("/orders", (SeedRequest seed, SandboxState state, TimeProvider time) =>
            Results.Json(state.Seed(seed.Tons, seed.Note, time.GetUtcNow() - TimeSpan.FromSeconds(seed.AgeSeconds))));
        sandbox.MapPost("/reset", (SandboxState state) =>
        {
            state.Reset();
            return Results.NoContent();
        });
        return app;
    }
}
