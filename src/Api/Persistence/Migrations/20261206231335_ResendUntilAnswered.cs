using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ResendUntilAnswered : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "NextOrderRefundedResendAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "NextReplayRequestResendAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "OrderRefundedResends",
                table: "orders",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "PendingReplayRequestId",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "RefundAcknowledgedAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "RefundedAt",
                table: "orders",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReplayRequestResends",
                table: "orders",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "ReplayRequestedAt",
                table: "orders",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "NextOrderRefundedResendAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "NextReplayRequestResendAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "OrderRefundedResends",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "PendingReplayRequestId",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "RefundAcknowledgedAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "RefundedAt",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "ReplayRequestResends",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "ReplayRequestedAt",
                table: "orders");
        }
    }
}
