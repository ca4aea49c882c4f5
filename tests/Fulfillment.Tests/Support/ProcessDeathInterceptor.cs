using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Fulfillment.Purchases;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// Simulates the process dying right after Wren answered: the save that would record Placed fails,
/// and so does every later save, as if nothing after that point ever ran.
/// </summary>
public sealed class ProcessDeathInterceptor : SaveChangesInterceptor
{
    private volatile bool _dead;

    public bool Dead => _dead;

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (_dead || eventData.Context!.ChangeTracker.Entries<OffsetFulfillment>().Any(e => e.Entity.State == FulfillmentState.Placed))
        {
            _dead = true;
            throw new IOException("Simulated process death before the outcome was committed.");
        }

        return ValueTask.FromResult(result);
    }
}
