using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// Every Api migration since the rule was written is expand-only (or marked a contract step), on both engines'
/// chains: the previous release runs on the schema a release migrates to, so deploy/rollback.sh needs no down-migration.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class ExpandContractTests
{
    /// <summary>Each chain's last migration before the rule (docs/production.md); later ones follow it.</summary>
    private const string RuleSinceSqlite = "20261207022223_CustomerDataRetention";
    private const string RuleSincePostgres = "20261207022350_CustomerDataRetention";

    [Fact]
    public void Api_migrations_since_the_rule_only_expand_the_schema_on_SQLite()
    {
        using var db = new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.Empty(ExpandContract.Violations(db, RuleSinceSqlite));
    }

    [Fact]
    public void Api_migrations_since_the_rule_only_expand_the_schema_on_PostgreSQL()
    {
        using var db = new PostgresApiDbContext(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql("Host=unused").Options);
        Assert.Empty(ExpandContract.Violations(db, RuleSincePostgres));
    }

    [Fact]
    public void The_check_finds_the_column_an_earlier_release_dropped()
    {
        // AttentionItems (before the rule) moved the Attention text into its own table and dropped the column in SQL.
        using var db = new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.Contains(ExpandContract.Violations(db, "0"), v => v.StartsWith("20261206230904_AttentionItems: runs SQL that drops or renames: DROP COLUMN", StringComparison.Ordinal));
    }
}
