namespace PuffinOffset.Chaos;

/// <summary>
/// After the faults: waits until the system has come to rest — no paid order without an outcome, no order Stripe
/// has an answer for still pending in the Api, no late-order check still to come, both outboxes drained and every queue empty for two samples of the
/// broker's statistics in a row — or until the timeout (the ledger then reports what is still moving).
/// </summary>
public static class Settling
{
    public static async Task<bool> WaitAsync(SoakCluster cluster, TimeSpan timeout, SoakLog log)
    {
        var databases = new SoakDatabases(cluster);
        var deadline = log.Now + timeout;
        var quietSince = (TimeSpan?)null;
        var last = "";
        while (log.Now < deadline)
        {
            try
            {
                var paid = await databases.OrdersInStatusAsync("Paid");
                var (apiPending, _, fulfillmentPending, _) = await databases.OutboxesAsync();
                var checks = await databases.LateOrderChecksPendingAsync();
                var busy = (await cluster.Broker.QueuesAsync(cluster.VirtualHost)).Where(q => q.Messages + q.Unacknowledged > 0).ToList();
                last = $"{paid} paid without outcome, {checks} late-order checks to come, outbox {apiPending}/{fulfillmentPending}, busy queues: {string.Join(", ", busy)}";
                var quiet = paid == 0 && checks == 0 && apiPending + fulfillmentPending == 0 && busy.Count == 0;
                quietSince = quiet ? quietSince ?? log.Now : null;
                // Stripe's answers for unreconciled orders come within a reconcile pass; the broker samples every second.
                if (quietSince is { } since && log.Now - since > SoakCluster.ReconcileAfter + TimeSpan.FromSeconds(10))
                {
                    log.Note($"settled: {last}");
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Data.Common.DbException)
            {
                last = ex.Message;
            }

            await Task.Delay(1000);
        }

        log.Note($"not settled within {timeout:c}: {last}");
        return false;
    }
}
