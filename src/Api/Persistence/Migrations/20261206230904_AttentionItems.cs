using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PuffinOffset.Api.Persistence.Migrations
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "order_attention",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OrderId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ResolvedBy = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ResolutionNote = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
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

            // SQLite's own DROP COLUMN, inside the migration's transaction: EF's DropColumn rebuilds the table with
            // foreign keys switched off, which cannot run in a transaction.
            migrationBuilder.Sql("""ALTER TABLE orders DROP COLUMN "Attention";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Attention",
                table: "orders",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.Sql("""
                UPDATE orders SET "Attention" = (SELECT substr(group_concat("Text", '; '), 1, 2000) FROM order_attention a
                    WHERE a."OrderId" = orders."Id" AND a."ResolvedAt" IS NULL);
                """);

            migrationBuilder.DropTable(
                name: "order_attention");

            migrationBuilder.Sql("""ALTER TABLE orders DROP COLUMN "PaidInLiveMode";""");
        }
    }
}
