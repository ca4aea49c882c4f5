using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Per test: a fresh SQLite file, broker vhost, Stripe sandbox and Wren stub, and the Api on them.</summary>
public abstract class ApiTestBase : IAsyncLifetime
{
    protected TempFolder Folder { get; } = new();
    protected StripeSandboxHost Stripe { get; private set; } = null!;
    protected WrenStub Wren { get; private set; } = null!;
    protected string BrokerUri { get; private set; } = "";
    protected ApiHost Api { get; set; } = null!;
    protected HttpClient Client { get; set; } = null!;
    protected string DatabasePath => Folder.File("orders.db");

    /// <summary>Settings this test class changes from <see cref="ApiHost"/>'s defaults.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public virtual async Task InitializeAsync()
    {
        Stripe = await StripeSandboxHost.StartAsync();
        Wren = await WrenStub.StartAsync();
        BrokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        Api = await StartApiAsync(Configure);
        Client = Api.CreateClient();
    }

    protected Task<ApiHost> StartApiAsync(Action<Dictionary<string, string?>>? configure) =>
        ApiHost.StartAsync(DatabasePath, BrokerUri, Stripe.BaseAddress, Wren.BaseAddress, configure);

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        await Stripe.DisposeAsync();
        await Wren.DisposeAsync();
        await (await RabbitMqBroker.Shared).DeleteVirtualHostAsync(BrokerUri);
        Folder.Dispose();
    }

    protected async Task<CreatedOrder> CreateOrderAsync(decimal tons = 2.5m, int portfolioId = 21, string? email = "buyer@example.com")
    {
        using var response = await Client.PostAsJsonAsync("/api/checkout/create-session", new { tons, portfolioId, customerEmail = email });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreatedOrder>())!;
    }

    protected Task<HttpResponseMessage> PostWebhookAsync(string body, string? signatureHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (signatureHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signatureHeader);
        }

        return Client.SendAsync(request);
    }

    protected Task<HttpResponseMessage> PostSignedWebhookAsync(string body) =>
        PostWebhookAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));

    protected async Task<Order> OrderAsync(Guid orderId) =>
        await Api.WithDbAsync(db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == orderId));

    /// <summary>Everything a webhook could change, to prove that a rejected one changed nothing.</summary>
    protected async Task<string> DatabaseSnapshotAsync() => await Api.WithDbAsync(async db => JsonSerializer.Serialize(new
    {
        Orders = await db.Orders.AsNoTracking().OrderBy(o => o.CreatedAt).Select(o => new { o.Id, o.Status, o.UpdatedAt, o.PaymentIntentId }).ToListAsync(),
        Events = await db.StripeEvents.CountAsync(),
        Outbox = await db.OutboxMessages.CountAsync(),
    }));

    protected async Task<int> OutboxCountAsync(string messageType = "PaymentCompleted") =>
        await Api.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.MessageType == messageType));
}

public sealed record CreatedOrder(Guid OrderId, string SessionId, string? Url, long AmountTotal, string Currency);
