//! Scans never overlap: triggers during a scan collapse into one re-run.
package app.veto.run

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

@Timeout(30)
class SingleFlightTest {
    @Test
    fun `triggers during a scan give exactly one more scan, never a parallel one`() {
        val started = CountDownLatch(1)
        val release = CountDownLatch(1)
        val runs = AtomicInteger()
        val inside = AtomicInteger()
        val maxInside = AtomicInteger()
        val flight = SingleFlight(
            body = {
                val now = inside.incrementAndGet()
                maxInside.accumulateAndGet(now, ::maxOf)
                if (runs.incrementAndGet() == 1) {
                    started.countDown()
                    release.await(10, TimeUnit.SECONDS)
                }
                inside.decrementAndGet()
            },
            onError = { throw AssertionError("unexpected", it) },
        )
        val first = Thread { assertTrue(flight.trigger()) }.apply { start() }
        assertTrue(started.await(10, TimeUnit.SECONDS))
        assertTrue(flight.isRunning)

        // Eight triggers from eight threads while the first scan is blocked: all hand over.
        val handedOver = AtomicInteger()
        val others = (1..8).map { Thread { if (!flight.trigger()) handedOver.incrementAndGet() }.apply { start() } }
        others.forEach { it.join(10_000) }
        assertEquals(8, handedOver.get())
        assertEquals(1, runs.get()) // nobody started a second scan next to the first

        release.countDown()
        first.join(10_000)
        assertEquals(2, runs.get()) // the eight triggers became one re-run
        assertEquals(1, maxInside.get())
        assertFalse(flight.isRunning)

        // Idle again: the next trigger scans on its own thread.
        assertTrue(flight.trigger())
        assertEquals(3, runs.get())
    }

    @Test
    fun `a failing scan is reported and does not swallow a requested re-run`() {
        val started = CountDownLatch(1)
        val release = CountDownLatch(1)
        val runs = AtomicInteger()
        val errors = mutableListOf<String>()
        lateinit var flight: SingleFlight
        flight = SingleFlight(
            body = {
                if (runs.incrementAndGet() == 1) {
                    started.countDown()
                    release.await(10, TimeUnit.SECONDS)
                    throw IllegalStateException("core failed")
                }
            },
            onError = { synchronized(errors) { errors += it.message ?: "" } },
        )
        val first = Thread { flight.trigger() }.apply { start() }
        assertTrue(started.await(10, TimeUnit.SECONDS))
        assertFalse(flight.trigger())
        release.countDown()
        first.join(10_000)
        assertEquals(listOf("core failed"), errors)
        assertEquals(2, runs.get())
        assertFalse(flight.isRunning)
    }

    @Test
    fun `an Error leaves the guard usable`() {
        var fail = true
        val flight = SingleFlight(body = { if (fail) throw OutOfMemoryError("simulated") }, onError = {})
        val thrown = runCatching { flight.trigger() }.exceptionOrNull()
        assertTrue(thrown is OutOfMemoryError)
        assertFalse(flight.isRunning)
        fail = false
        assertTrue(flight.trigger())
    }
}
