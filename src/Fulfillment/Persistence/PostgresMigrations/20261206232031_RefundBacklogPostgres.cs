using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Fulfillment.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class RefundBacklogPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "AwaitsRefundBacklog",
                table: "offset_fulfillments",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AwaitsRefundBacklog",
                table: "offset_fulfillments");
        }
    }
}
