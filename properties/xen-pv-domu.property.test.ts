import { platformPropertySuite } from './suite';

platformPropertySuite('xen-pv-domu');
