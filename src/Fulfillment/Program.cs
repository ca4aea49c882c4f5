using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Restore;
using PuffinOffset.Platform.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFulfillmentServices();

var app = builder.Build();
app.UseFulfillment();

// `dotnet Fulfillment.dll migrate` applies the migrations and exits (the deployment's migration step);
// `dotnet Fulfillment.dll backup FOLDER` writes a timestamped copy of its database there and exits;
// `dotnet Fulfillment.dll restored`, run after a restore from a backup, makes what the restore lost be looked up at Wren first.
return args switch
{
    [DatabaseMigration.Command] => await app.RunMigrateCommandAsync(),
    [DatabaseBackup.Command, var folder] => await app.RunBackupCommandAsync(folder),
    [RestoredCommand.Command] => await app.RunRestoredCommandAsync(),
    _ => await app.RunServiceAsync(beforeStart: app => app.HoldDatabaseFileAsync()),
};

/// <summary>Names Fulfillment's assembly for tests that start it as a process (<c>typeof(FulfillmentEntryPoint).Assembly.Location</c>).</summary>
public sealed class FulfillmentEntryPoint;
