/* Random fault injection for the chaos tests.
 *
 * The daemons of the leasing stack (lamina-brokerd, lamina-inpd) have named
 * fault points where a test may kill them (LAMINA_BROKER_FAULT=POINT,
 * LAMINA_FAULT=inpd:STEP).  For a chaos run a test wants many faults at
 * random points, cheaply: this module gives each daemon a seeded random
 * source and probabilities read from the environment, so that e.g.
 * LAMINA_FAULT_PROB=0.02 makes a daemon die at about one fault point in 50
 * and a probability of a lost call or answer fails a call without a
 * restart.  With LAMINA_FAULT_SEED the sequence of draws is reproducible
 * (the order in which threads draw is not).
 *
 * Every fault injected is logged as a line with "chaos fault" in it, so a
 * test can count them.  Nothing here is active unless the variables are set.
 */
#ifndef LAMINA_FAULT_H
#define LAMINA_FAULT_H 1

#include <stdbool.h>
#include <stdint.h>

/* Seeds the random source from LAMINA_FAULT_SEED (or the time and pid if
 * unset).  Called once at start. */
void fault_init(void);

/* The probability in environment variable 'var' (0 if unset or not a
 * number in [0, 1]). */
double fault_prob(const char *var);

/* True with probability 'p' (never if p <= 0). */
bool fault_roll(double p);

/* A uniform random number below 'n' (n > 0) from the same source. */
uint64_t fault_below(uint64_t n);

#endif /* LAMINA_FAULT_H */
