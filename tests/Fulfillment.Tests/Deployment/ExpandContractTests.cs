using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Tests.Deployment;

/// <summary>Every Fulfillment migration since the rule was written is expand-only (or marked a contract step), on both engines' chains.</summary>
[Trait("Engine", "Neutral")]
public sealed class ExpandContractTests
{
    /// <summary>Each chain's last migration before the rule (docs/production.md); later ones follow it.</summary>
    private const string RuleSinceSqlite = "20261207022642_LateOrderCheck";
    private const string RuleSincePostgres = "20261207022656_LateOrderCheckPostgres";

    [Fact]
    public void Fulfillment_migrations_since_the_rule_only_expand_the_schema_on_SQLite()
    {
        using var db = new FulfillmentDbContext(new DbContextOptionsBuilder<FulfillmentDbContext>().UseSqlite("Data Source=:memory:").Options);
        Assert.Empty(ExpandContract.Violations(db, RuleSinceSqlite));
    }

    [Fact]
    public void Fulfillment_migrations_since_the_rule_only_expand_the_schema_on_PostgreSQL()
    {
        using var db = new PostgresFulfillmentDbContext(new DbContextOptionsBuilder<PostgresFulfillmentDbContext>().UseNpgsql("Host=unused").Options);
        Assert.Empty(ExpandContract.Violations(db, RuleSincePostgres));
    }
}
