import { platformPropertySuite } from './suite';

platformPropertySuite('x86-hyperv');
