using PuffinOffset.Api;
using PuffinOffset.Messaging.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();
app.UseApi();

// `dotnet Api.dll migrate` applies the migrations and exits (the deployment's migration step).
return args is [DatabaseMigration.Command] ? await app.RunMigrateCommandAsync() : await app.RunServiceAsync(beforeStart: app => app.HoldDatabaseFileAsync());

/// <summary>Names the Api's assembly for tests that start it as a process (<c>typeof(ApiEntryPoint).Assembly.Location</c>).</summary>
public sealed class ApiEntryPoint;
