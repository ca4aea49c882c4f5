using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Fulfillment.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class LateOrderCheckIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_offset_fulfillments_LateOrderCheck",
                table: "offset_fulfillments",
                columns: new[] { "State", "UpdatedAt" },
                filter: "\"LateOrderCheckPending\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_offset_fulfillments_LateOrderCheck",
                table: "offset_fulfillments");
        }
    }
}
