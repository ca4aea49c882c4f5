using PuffinOffset.Fulfillment;
using PuffinOffset.Messaging.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFulfillmentServices();

var app = builder.Build();
app.UseFulfillment();

// `dotnet Fulfillment.dll migrate` applies the migrations and exits (the deployment's migration step).
return args is [DatabaseMigration.Command] ? await app.RunMigrateCommandAsync() : await app.RunServiceAsync(beforeStart: app => app.HoldDatabaseFileAsync());

/// <summary>Names Fulfillment's assembly for tests that start it as a process (<c>typeof(FulfillmentEntryPoint).Assembly.Location</c>).</summary>
public sealed class FulfillmentEntryPoint;
