using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace PuffinOffset.AppHost;

/// <summary>
/// "Replay failed fulfilments" on the api resource in the dashboard: <c>POST /api/admin/orders/replay</c>
/// with the admin key (configured, or generated per run), as the console's "Replay all" does.
/// </summary>
internal static class ReplayFailedFulfilmentsCommand
{
    public static IResourceBuilder<ProjectResource> WithReplayFailedFulfilmentsCommand(
        this IResourceBuilder<ProjectResource> api, IResourceBuilder<ParameterResource> adminKey)
    {
        return api.WithHttpCommand("/api/admin/orders/replay", "Replay failed fulfilments", commandName: "replay-failed-fulfilments",
            commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Asks Fulfillment to try every fulfillment_failed order again (each is looked up at Wren before any new purchase).",
                ConfirmationMessage = "Replay every failed fulfilment now?",
                IconName = "ArrowRepeatAll",
                PrepareRequest = async context =>
                {
                    var key = await adminKey.Resource.GetValueAsync(context.CancellationToken);
                    context.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    context.Request.Content = JsonContent.Create(new { status = "fulfillment_failed" });
                },
                GetCommandResult = async context =>
                {
                    if (!context.Response.IsSuccessStatusCode)
                    {
                        return CommandResults.Failure($"The Api answered {(int)context.Response.StatusCode}.");
                    }

                    var result = await context.Response.Content.ReadFromJsonAsync<JsonElement>(context.CancellationToken);
                    var requested = result.GetProperty("requested").GetInt32();
                    return CommandResults.Success($"Replay requested for {requested} failed fulfilment(s).");
                },
            });
    }
}
