using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>The Api with <c>ADMIN_API_KEY</c> set, an operator's client, and orders arranged in any status.</summary>
public abstract class AdminTestBase : ApiTestBase
{
    public const string AdminKey = "admin-TESTONLY-key-0123456789abcdef";

    protected HttpClient Admin { get; private set; } = null!;

    protected override void Configure(Dictionary<string, string?> settings) => settings["ADMIN_API_KEY"] = AdminKey;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = Api.CreateClient();
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public override async Task DisposeAsync()
    {
        Admin.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>A checkout order moved along the state machine to <paramref name="status"/>, optionally flagged for an operator.</summary>
    protected async Task<Guid> OrderAsync(OrderStatus status, string? attention = null, decimal tons = 1m)
    {
        var created = await CreateOrderAsync(tons);
        await ArrangeAsync(created.OrderId, (order, now) =>
        {
            var path = status switch
            {
                OrderStatus.Pending => [],
                OrderStatus.Paid or OrderStatus.Expired or OrderStatus.PaymentFailed or OrderStatus.AwaitingPayment => new[] { status },
                _ => [OrderStatus.Paid, status],
            };
            foreach (var step in path)
            {
                Assert.True(order.TryMoveTo(step, now));
            }

            if (attention is not null)
            {
                order.RequireAttention(new AttentionReason(AttentionKind.Legacy, attention), now);
            }
        });
        return created.OrderId;
    }

    protected Task ArrangeAsync(Guid orderId, Action<Order, DateTimeOffset> change) => Api.WithDbAsync(async db =>
    {
        var order = await db.Orders.SingleAsync(o => o.Id == orderId);
        change(order, DateTimeOffset.UtcNow);
        return await db.SaveChangesAsync();
    });
}
