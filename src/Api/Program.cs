using PuffinOffset.Api;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();
app.UseApi();

return await app.RunServiceAsync(host => host.MigrateDatabaseAsync<ApiDbContext>());

/// <summary>Marker for WebApplicationFactory (the test project also references Fulfillment's Program).</summary>
public sealed class ApiEntryPoint;
