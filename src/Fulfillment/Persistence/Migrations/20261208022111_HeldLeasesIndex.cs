using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Fulfillment.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class HeldLeasesIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_offset_fulfillments_HeldLeases",
                table: "offset_fulfillments",
                column: "LeaseOwner",
                filter: "\"LeaseOwner\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_offset_fulfillments_HeldLeases",
                table: "offset_fulfillments");
        }
    }
}
