using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class RefundBeforePayment : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "AmountRefunded",
                table: "stripe_events",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FullRefund",
                table: "stripe_events",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AmountRefunded",
                table: "stripe_events");

            migrationBuilder.DropColumn(
                name: "FullRefund",
                table: "stripe_events");
        }
    }
}
