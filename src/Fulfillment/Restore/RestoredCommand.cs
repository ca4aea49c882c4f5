using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Restore;

/// <summary>
/// The <c>restored</c> command (<c>dotnet Fulfillment.dll restored</c>), run once after the database was restored from
/// a backup and before the service starts again (docs/operations.md, "Backups and restore"). It records a
/// <see cref="RestorePoint"/> at this moment and, in the same transaction, makes every fulfilment of the backup still
/// waiting for a POST look its note up first. From then on, a payment for an order created before this moment is
/// scheduled the same way (<see cref="PaymentBatch"/>): found at Wren → placed with that order, not found → one POST.
/// </summary>
public static partial class RestoredCommand
{
    public const string Command = "restored";

    /// <summary>Ends with 0 and one line saying what it recorded, or with 1 and one line saying why not.</summary>
    public static async Task<int> RunRestoredCommandAsync(this IHost host)
    {
        var name = host.Services.GetRequiredService<IHostEnvironment>().ApplicationName;
        try
        {
            var (restoredAt, waiting) = await RecordAsync(host.Services, CancellationToken.None);
            await Console.Out.WriteLineAsync($"{name}: recorded a restore at {restoredAt:O}; {waiting} scheduled fulfilment(s), and every "
                + "order created or paid before then, will be looked up at Wren by note before any POST.");
            return 0;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{name}: restored failed: {ex.GetBaseException().Message}");
            return 1;
        }
    }

    /// <summary>
    /// Records the restore (after bringing the schema up to date: a backup from an older release lacks the table);
    /// returns its moment and how many fulfilments of the restored database will look up first because of it.
    /// </summary>
    public static async Task<(DateTimeOffset RestoredAt, int Waiting)> RecordAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        foreach (var step in services.GetServices<IDatabaseMigrationStep>())
        {
            await step.MigrateAsync(cancellationToken);
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var time = scope.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        await using var transaction = await db.BeginWriteTransactionAsync(cancellationToken);
        var restoredAt = time.GetUtcNow();
        db.RestorePoints.Add(new RestorePoint(restoredAt));
        var waiting = 0;
        foreach (var fulfillment in await db.Fulfillments.Where(f => f.State == FulfillmentState.Scheduled && !f.OutcomeUnknown).ToListAsync(cancellationToken))
        {
            waiting += fulfillment.LookUpFirstAfterRestore(restoredAt) ? 1 : 0;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRecorded(scope.ServiceProvider.GetRequiredService<ILogger<RestorePoint>>(), restoredAt, waiting);
        return (restoredAt, waiting);
    }

    /// <summary>The latest restore of this database, or null when it was never restored.</summary>
    public static Task<DateTimeOffset?> LatestRestoreAsync(FulfillmentDbContext db) =>
        db.RestorePoints.AsNoTracking().OrderByDescending(r => r.Id).Select(r => (DateTimeOffset?)r.RestoredAt).FirstOrDefaultAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restore of Fulfillment's database recorded at {RestoredAt}: {Waiting} scheduled fulfilment(s), and every order created or paid before then, look their note up at Wren before any POST")]
    private static partial void LogRecorded(ILogger logger, DateTimeOffset restoredAt, int waiting);
}
