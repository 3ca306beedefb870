/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "orderly-types.h"

G_BEGIN_DECLS

/* The steps of a run, in order, as the ribbon splits it. */
typedef enum
{
  ORDERLY_STEP_GENERATE,
  ORDERLY_STEP_QUEUE_VIP,
  ORDERLY_STEP_VIP,
  ORDERLY_STEP_QUEUE_NORMAL,
  ORDERLY_STEP_NORMAL,
  ORDERLY_N_STEPS
} OrderlyStep;

#define ORDERLY_TYPE_PHASE_RIBBON (orderly_phase_ribbon_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyPhaseRibbon, orderly_phase_ribbon, ORDERLY, PHASE_RIBBON, GtkWidget)

GtkWidget   *orderly_phase_ribbon_new           (void);
void         orderly_phase_ribbon_set_step_ms   (OrderlyPhaseRibbon *self,
                                                 OrderlyStep         step,
                                                 double              ms);
double       orderly_phase_ribbon_get_step_ms   (OrderlyPhaseRibbon *self,
                                                 OrderlyStep         step);
void         orderly_phase_ribbon_set_scale_ms  (OrderlyPhaseRibbon *self,
                                                 double              scale_ms);
const char  *orderly_step_get_name              (OrderlyStep         step);
const char  *orderly_step_get_style             (OrderlyStep         step);
OrderlyStep  orderly_step_for_phase             (OrderlyPhase        phase);

G_END_DECLS
