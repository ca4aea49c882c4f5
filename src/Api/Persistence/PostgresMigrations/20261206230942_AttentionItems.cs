using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace PuffinOffset.Api.Persistence.PostgresMigrations
{
    /// <inheritdoc />
    public partial class AttentionItems : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "PaidInLiveMode",
                table: "orders",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "order_attention",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    OrderId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ResolvedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ResolutionNote = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_order_attention", x => x.Id);
                    table.ForeignKey(
                        name: "FK_order_attention_orders_OrderId",
                        column: x => x.OrderId,
                        principalTable: "orders",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_order_attention_OrderId",
                table: "order_attention",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_order_attention_ResolvedAt_OrderId",
                table: "order_attention",
                columns: new[] { "ResolvedAt", "OrderId" });

            // Each attention sentence of an existing order becomes one open item, raised when the order last changed.
            migrationBuilder.Sql("""
                INSERT INTO order_attention ("OrderId", "Kind", "Text", "RaisedAt")
                SELECT "Id", 'Legacy', "Attention", "UpdatedAt" FROM orders WHERE "Attention" IS NOT NULL;
                """);

            migrationBuilder.DropColumn(
                name: "Attention",
                table: "orders");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Attention",
                table: "orders",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.Sql("""
                UPDATE orders SET "Attention" = (SELECT left(string_agg("Text", '; ' ORDER BY "Id"), 2000) FROM order_attention a
                    WHERE a."OrderId" = orders."Id" AND a."ResolvedAt" IS NULL);
                """);

            migrationBuilder.DropTable(
                name: "order_attention");

            migrationBuilder.DropColumn(
                name: "PaidInLiveMode",
                table: "orders");
        }
    }
}
