using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Fulfillment.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OutboxParking : Migration
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

            migrationBuilder.CreateIndex(
                name: "IX_outbox_messages_DispatchedAt_ParkedAt_Sequence",
                table: "outbox_messages",
                columns: new[] { "DispatchedAt", "ParkedAt", "Sequence" });
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

            migrationBuilder.CreateIndex(
                name: "IX_outbox_messages_DispatchedAt_Sequence",
                table: "outbox_messages",
                columns: new[] { "DispatchedAt", "Sequence" });
        }
    }
}
