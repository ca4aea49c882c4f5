using PuffinOffset.Api;
using PuffinOffset.Platform.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();
app.UseApi();

// `dotnet Api.dll migrate` applies the migrations and exits (the deployment's migration step);
// `dotnet Api.dll backup FOLDER` writes a timestamped copy of its database there and exits.
return args switch
{
    [DatabaseMigration.Command] => await app.RunMigrateCommandAsync(),
    [DatabaseBackup.Command, var folder] => await app.RunBackupCommandAsync(folder),
    _ => await app.RunServiceAsync(beforeStart: app => app.HoldDatabaseFileAsync()),
};

/// <summary>Names the Api's assembly for tests that start it as a process (<c>typeof(ApiEntryPoint).Assembly.Location</c>).</summary>
public sealed class ApiEntryPoint;
