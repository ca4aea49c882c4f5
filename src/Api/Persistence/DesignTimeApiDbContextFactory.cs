using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PuffinOffset.Api.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without the Api's required settings.</summary>
public sealed class DesignTimeApiDbContextFactory : IDesignTimeDbContextFactory<ApiDbContext>
{
    public ApiDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
