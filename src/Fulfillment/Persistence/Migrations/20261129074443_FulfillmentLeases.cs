using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Fulfillment.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FulfillmentLeases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "LeaseExpiresAt",
                table: "offset_fulfillments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "offset_fulfillments",
                type: "TEXT",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "offset_fulfillments");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "offset_fulfillments");
        }
    }
}
