using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class ResendQueueIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_orders_PendingReplayRequests",
                table: "orders",
                columns: new[] { "Status", "ReplayRequestedAt" },
                filter: "\"PendingReplayRequestId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_orders_UnacknowledgedRefunds",
                table: "orders",
                columns: new[] { "Status", "RefundedAt" },
                filter: "\"Status\" = 'Refunded' AND \"RefundAcknowledgedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_orders_PendingReplayRequests",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "IX_orders_UnacknowledgedRefunds",
                table: "orders");
        }
    }
}
