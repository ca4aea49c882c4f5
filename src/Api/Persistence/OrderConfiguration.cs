using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Persistence;

public sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public const string OrdersWithEmailByAge = "IX_orders_CreatedAt_CustomerEmail";
    public const string UnacknowledgedRefunds = "IX_orders_UnacknowledgedRefunds";
    public const string PendingReplayRequests = "IX_orders_PendingReplayRequests";

    public void Configure(EntityTypeBuilder<Order> order)
    {
        order.ToTable("orders");
        order.HasKey(o => o.Id);
        order.HasIndex(o => o.CheckoutSessionId).IsUnique();
        order.HasIndex(o => o.IdempotencyKey).IsUnique();
        order.Property(o => o.Status).HasConversion<string>().HasMaxLength(32);
        // SQLite has no decimal type: stored as text, which round-trips exactly.
        order.Property(o => o.Tons).HasPrecision(12, 3);
        order.Property(o => o.CheckoutSessionId).HasMaxLength(255);
        order.Property(o => o.CheckoutUrl).HasMaxLength(2048);
        order.Property(o => o.CustomerEmail).HasMaxLength(254);
        order.Property(o => o.PaymentIntentId).HasMaxLength(255);
        order.Property(o => o.WrenOrderId).HasMaxLength(255);
        order.Property(o => o.IdempotencyKey).HasMaxLength(255);
        order.Property(o => o.RequestHash).HasMaxLength(64);
        order.HasMany(o => o.Attention).WithOne().HasForeignKey(i => i.OrderId);
        // Every event that may raise an attention must see the open ones (a reason open already is not raised
        // twice), wherever it loads the order from.
        order.Navigation(o => o.Attention).AutoInclude();
        order.HasIndex(o => o.PaymentIntentId);
        // The retention pass and the finance export read orders by age.
        order.HasIndex(o => o.CreatedAt);
        // The gauges, the resender and the reconciler look for the few orders in a live status (paid, pending,
        // failed…) among years of fulfilled ones: by status, then age, they read only those.
        order.HasIndex(o => new { o.Status, o.CreatedAt });
        // The email retention pass reads the oldest orders that still have an email: without the filter it would
        // step over every order already erased (all history older than the retention) on every pass.
        order.HasIndex(o => o.CreatedAt, OrdersWithEmailByAge).HasFilter("\"CustomerEmail\" IS NOT NULL");
        // The resender's refunds and replay requests still waiting for Fulfillment: a few rows, where the status
        // index would hold every refunded or failed order of the history. The refund filter names the status too,
        // because every order that was never refunded has no acknowledgement either: without it the index would
        // hold nearly every order and take a write with each one created and each change of status.
        order.HasIndex(o => new { o.Status, o.RefundedAt }, UnacknowledgedRefunds)
            .HasFilter("\"Status\" = 'Refunded' AND \"RefundAcknowledgedAt\" IS NULL");
        order.HasIndex(o => new { o.Status, o.ReplayRequestedAt }, PendingReplayRequests).HasFilter("\"PendingReplayRequestId\" IS NOT NULL");
    }
}
