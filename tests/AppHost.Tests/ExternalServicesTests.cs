namespace PuffinOffset.AppHost.Tests;

/// <summary>The AppHost's choice between the real Stripe and Wren and the local sandboxes (the model only; nothing starts).</summary>
public sealed class ExternalServicesTests
{
    private const string ExistingBroker = "ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:5672/";

    [Fact]
    public async Task Without_keys_the_sandboxes_stand_in_for_Stripe_and_Wren()
    {
        var resources = await ProjectResourcesAsync();

        Assert.Equal(["api", "fulfillment", "stripe-sandbox", "wren-sandbox"], resources);
    }

    [Fact]
    public async Task With_a_Stripe_key_and_a_Wren_token_no_sandbox_is_started()
    {
        var resources = await ProjectResourcesAsync("STRIPE_SECRET_KEY=sk_test_TESTONLYreal", "WREN_API_TOKEN=wren_test_TESTONLYreal");

        Assert.Equal(["api", "fulfillment"], resources);
    }

    [Fact]
    public async Task Each_sandbox_is_chosen_on_its_own()
    {
        Assert.Equal(["api", "fulfillment", "wren-sandbox"], await ProjectResourcesAsync("Parameters:stripe-secret-key=sk_test_TESTONLYreal"));
        Assert.Equal(["api", "fulfillment", "stripe-sandbox"], await ProjectResourcesAsync("WREN_API_BASE=https://wren.example.test"));
    }

    private static async Task<string[]> ProjectResourcesAsync(params string[] settings)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([ExistingBroker, .. settings]);
        return builder.Resources.OfType<ProjectResource>().Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
    }
}
