using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PuffinOffset.Fulfillment.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without the service's required settings.</summary>
public sealed class DesignTimeFulfillmentDbContextFactory : IDesignTimeDbContextFactory<FulfillmentDbContext>
{
    public FulfillmentDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FulfillmentDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
