using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OrderRecoveryAndOutboxParking : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_messages_DispatchedAt_Sequence",
                table: "outbox_messages");

            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "outbox_messages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "LastError",
                table: "outbox_messages",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ParkedAt",
                table: "outbox_messages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "NextPaymentCompletedResendAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PaidAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PaymentCompletedResends",
                table: "orders",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "StripeCheckedAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_outbox_messages_DispatchedAt_ParkedAt_Sequence",
                table: "outbox_messages",
                columns: new[] { "DispatchedAt", "ParkedAt", "Sequence" });

            // Orders already paid before this migration wait for their outcome from their last change.
            migrationBuilder.Sql("UPDATE orders SET PaidAt = UpdatedAt WHERE Status = 'Paid';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_messages_DispatchedAt_ParkedAt_Sequence",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "LastError",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "ParkedAt",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "NextPaymentCompletedResendAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "PaidAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "PaymentCompletedResends",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "StripeCheckedAt",
                table: "orders");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_messages_DispatchedAt_Sequence",
                table: "outbox_messages",
                columns: new[] { "DispatchedAt", "Sequence" });
        }
    }
}
