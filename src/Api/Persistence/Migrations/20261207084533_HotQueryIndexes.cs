using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class HotQueryIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_orders_CreatedAt_CustomerEmail",
                table: "orders",
                column: "CreatedAt",
                filter: "\"CustomerEmail\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_orders_Status_CreatedAt",
                table: "orders",
                columns: new[] { "Status", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_orders_CreatedAt_CustomerEmail",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "IX_orders_Status_CreatedAt",
                table: "orders");
        }
    }
}
